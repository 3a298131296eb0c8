"""Methods on samples: the ranker adapter, modes, progress, and the metrics of each method.

The ranker is evaluated through `recommend`, the function the API calls, once per sample (a
batch API would be a second ranker to keep equal to the first). Baselines score whole batches.
Every method receives the same baskets and professions and is timed on its own.

Modes (original README §9): "auto" gives no profession (the ranker detects it from the basket);
"use_order" gives the order's profession (one the run does not know falls back to detection,
as in the API); "none" scores for everyone (ranking.NO_PROFESSION: ANY pairs, global popularity).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal, TextIO

import numpy as np
import scipy.sparse as sp

from reco_core.evaluation import metrics as M
from reco_core.evaluation.baselines import PROFESSION_AUTO, PROFESSION_NONE, Recommender
from reco_core.evaluation.sampling import Samples
from reco_core.ranking import NO_PROFESSION, Profile, RankerIndex, recommend
from reco_core.ranking.ranker import NoProfession

Mode = Literal["auto", "use_order", "none"]
MODES: tuple[str, ...] = ("auto", "use_order", "none")
CHUNK = 256  # samples per call to a method: the granularity of progress reports


class RankerRecommender(Recommender):
    """The production ranker behind the evaluation contract: `recommend` once per basket."""

    name = "ranker"
    description = "reco_core.ranking.recommend (the API's ranking) with the evaluated profile"

    def __init__(self, index: RankerIndex, profile: Profile, variant: str | None = None) -> None:
        self.index = index
        self.profile = profile
        if variant is not None:  # the same ranker under another policy (evaluate.variant_profile)
            self.name = f"{RankerRecommender.name}[{variant}]"
            self.description = f"{RankerRecommender.description}, variant {variant}"

    def recommend_batch(self, baskets: sp.csr_matrix, professions: np.ndarray, k: int) -> np.ndarray:
        baskets = sp.csr_matrix(baskets)
        item_ids, position = self.index.run.item_ids, self.index.run.item_index
        out = np.full((baskets.shape[0], k), -1, dtype=np.int64)
        for row in range(baskets.shape[0]):
            basket = item_ids[baskets.indices[baskets.indptr[row] : baskets.indptr[row + 1]]].tolist()
            profession = self._profession(int(professions[row]))
            reco = recommend(self.index, self.profile, profession, basket, k, explain=False)
            out[row, : len(reco.items)] = [position[pid] for pid in reco.product_ids]
        return out

    def _profession(self, position: int) -> str | NoProfession | None:
        if position == PROFESSION_NONE:
            return NO_PROFESSION
        return None if position == PROFESSION_AUTO else self.index.professions[position]


def query_professions(index: RankerIndex, samples: Samples, mode: Mode) -> np.ndarray:
    """The `professions` argument of every method for `mode` (see the module doc)."""
    if mode == "none":
        return np.full(len(samples), PROFESSION_NONE, dtype=np.int64)
    if mode == "auto":
        return np.full(len(samples), PROFESSION_AUTO, dtype=np.int64)
    lookup = index.prof_row
    return np.array([lookup.get(name, PROFESSION_AUTO) for name in samples.profession], dtype=np.int64)


class Progress:
    """One stderr line every `every` seconds at most: which method, how many samples, how long."""

    def __init__(self, total: int, every: float = 3.0, stream: TextIO | None = None) -> None:
        self.total, self.every, self.stream = total, every, stream or sys.stderr
        self._last = time.perf_counter()

    def __call__(self, method: str, done: int, seconds: float) -> None:
        now = time.perf_counter()
        if now - self._last >= self.every or done == self.total:
            self._last = now
            rate = done / seconds if seconds > 0 else 0.0
            print(
                f"reco eval: {method:<22} {done:>6}/{self.total} samples  {seconds:6.1f} s  ({rate:,.0f}/s)",
                file=self.stream,
                flush=True,
            )


ProgressFn = Callable[[str, int, float], None]


@dataclass
class MethodScores:
    """Metrics of one method on the samples: overall (mean and standard error), per m, per profession."""

    name: str
    description: str
    seconds: float
    overall: dict[str, float]
    se: dict[str, float]
    by_m: dict[str, dict[str, float]]
    by_profession: dict[str, dict[str, float]]
    lists: dict[str, float] = field(default_factory=dict)  # metrics.list_measures
    # metric -> value of each sample (not in the report): paired comparisons of methods
    per_sample: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    extra: dict = field(default_factory=dict)  # e.g. how EASE was fitted

    def to_dict(self) -> dict:
        out = {
            "description": self.description,
            "seconds": round(self.seconds, 3),
            "overall": self.overall,
            "standard_error": self.se,
            "by_m": self.by_m,
            "by_profession": self.by_profession,
            "lists": self.lists,
        }
        return out | self.extra


def metric_key(metric: str, k: int) -> str:
    return f"{metric}@{k}"


def run_method(
    method: Recommender,
    given: sp.csr_matrix,
    professions: np.ndarray,
    k: int,
    progress: ProgressFn | None = None,
) -> tuple[np.ndarray, float]:
    """(ranked item indices [n, k], seconds) of one method on every sample, CHUNK samples at a time."""
    start = time.perf_counter()
    parts = []
    for begin in range(0, given.shape[0], CHUNK):
        rows = slice(begin, begin + CHUNK)
        parts.append(method.recommend_batch(given[rows], professions[rows], k))
        if progress:
            progress(method.name, min(begin + CHUNK, given.shape[0]), time.perf_counter() - start)
    ranked = np.concatenate(parts) if parts else np.empty((0, k), np.int64)
    return ranked, time.perf_counter() - start


def summarise(
    method: Recommender,
    ranked: np.ndarray,
    seconds: float,
    samples: Samples,
    expected: sp.csr_matrix,
    k: int,
    index: RankerIndex,
) -> MethodScores:
    values = M.per_sample(ranked, expected)
    keyed = {metric_key(name, k): v for name, v in values.items()}
    overall, se = {}, {}
    for name, v in keyed.items():
        overall[name], se[name] = M.mean_and_se(v)
    return MethodScores(
        name=method.name,
        description=method.description,
        seconds=seconds,
        overall=overall,
        se=se,
        by_m=M.means_by_group(keyed, samples.m),
        by_profession=M.means_by_group(keyed, samples.profession.astype(str)),
        lists=M.list_measures(ranked, np.asarray(index.run.item_is_pl), index.gamme),
        per_sample=keyed,
        extra=method.describe(),
    )


def evaluate_methods(
    index: RankerIndex,
    samples: Samples,
    methods: Sequence[Recommender],
    *,
    mode: Mode,
    k: int,
    progress: ProgressFn | None = None,
    twins: sp.csr_matrix | None = None,
) -> list[MethodScores]:
    """Every method on the same samples, in the item index of `index`'s run.

    Each method's `lists` also gets its substitute rates: against the run's substitute table when
    it has one, against `twins` (the demo's planted own-brand twins, items x items) when given."""
    item_ids = index.run.item_ids
    given, expected = samples.given.matrix(item_ids), samples.expected.matrix(item_ids)
    professions = query_professions(index, samples, mode)
    tables = {}
    if index.substitutes is not None:
        tables[(M.BASKET_SUBSTITUTE_RATE, M.MUTUAL_SUBSTITUTE_RATE)] = substitute_matrix(index)
    if twins is not None:
        tables[(M.BASKET_TWIN_RATE, M.MUTUAL_TWIN_RATE)] = twins
    out = []
    for method in methods:
        ranked, seconds = run_method(method, given, professions, k, progress)
        scored = summarise(method, ranked, seconds, samples, expected, k, index)
        for names, pairs in tables.items():
            scored.lists.update(zip(names, M.substitute_measures(ranked, given, pairs), strict=True))
        out.append(scored)
    return out


def substitute_matrix(index: RankerIndex) -> sp.csr_matrix:
    """The run's substitute table as a symmetric 0/1 items x items matrix."""
    table = index.substitutes
    n = index.n_items
    rows = np.repeat(np.arange(n, dtype=np.int64), np.diff(table.indptr))
    return M.pair_matrix(n, rows, np.asarray(table.indices, dtype=np.int64))


def known_items(*indexes: RankerIndex) -> np.ndarray:
    """Product ids every given run can recommend (one run: its catalogue)."""
    known = indexes[0].run.item_ids
    for index in indexes[1:]:
        known = np.intersect1d(known, index.run.item_ids)
    return np.asarray(known, dtype=np.int64)


def unknown_professions(index: RankerIndex, samples: Samples) -> int:
    """Samples whose order's profession the run does not know (use_order falls back to detection)."""
    return int(sum(name not in index.prof_row for name in samples.profession))
