"""`reco eval`: a run, a file of orders and a profile -> metrics of the ranker and of the baselines.

Steps: resolve and verify the run (only a run whose manifest verifies is loaded), refuse to
evaluate on its training orders (leakage.py), read the orders, draw the samples (sampling.py),
fit EASE on the run's training interactions (timed apart: a one-time cost, not a per-sample
one), then score the ranker and every baseline on the same samples (scoring.py).
"""

from __future__ import annotations

import io
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from reco_core import contract, logs
from reco_core.artifacts import layout as L
from reco_core.artifacts.loader import load_run
from reco_core.artifacts.manifest import check_manifest, read_verified_bytes
from reco_core.artifacts.run import RunArtifacts
from reco_core.artifacts.store import resolve_run
from reco_core.errors import ArtifactError, RecoError
from reco_core.evaluation import metrics as M
from reco_core.evaluation.baselines import (
    RULES_SUFFIX,
    SIMPLE_BASELINES,
    PairsOnly,
    Recommender,
    UnderSubstituteRules,
)
from reco_core.evaluation.ease import Ease, fit_ease
from reco_core.evaluation.leakage import check_leakage
from reco_core.evaluation.sampling import Samples, draw_samples
from reco_core.evaluation.scoring import (
    MODES,
    MethodScores,
    Mode,
    ProgressFn,
    RankerRecommender,
    evaluate_methods,
    known_items,
    metric_key,
    substitute_matrix,
    unknown_professions,
)
from reco_core.ranking import DEFAULT_PROFILE, K_MAX, Profile, RankerIndex, get_profile
from reco_core.settings import RecoSettings
from reco_core.training.baskets import Baskets, baskets_from_frame

log = logs.get_logger("evaluation")


def load_profile(
    name: str = DEFAULT_PROFILE, path: Path | str | None = None, settings: RecoSettings | None = None
) -> Profile:
    """Profile `name` as the API ranks with it: the profiles file of `settings` (PANIER_PARAMS_PATH,
    default the one shipped in reco_core) or `path`, under the ranking overrides of `settings`."""
    settings = settings or RecoSettings()
    if path is not None:
        settings = settings.model_copy(update={"panier_params_path": Path(path)})
    return get_profile(settings.profiles(), name)


@dataclass(frozen=True)
class Protocol:
    """The sampling and scoring settings: the original's flags and defaults."""

    k: int = 10
    basket_m: int = 1
    max_basket_m: int | None = None  # None: basket_m
    n_samples: int = 10_000
    seed: int = 42
    mode: Mode = "auto"

    def __post_init__(self) -> None:
        low, high = self.m_range
        if self.mode not in MODES:
            raise RecoError(f"--mode must be one of {', '.join(MODES)}, got {self.mode!r}", exit_code=2)
        if not 1 <= self.k <= K_MAX or self.n_samples < 1 or not 1 <= low <= high:
            raise RecoError(
                f"need 1 <= --k <= {K_MAX}, --n-samples >= 1 and 1 <= --basket-m <= --max-basket-m",
                exit_code=2,
            )

    @property
    def m_range(self) -> tuple[int, int]:
        return self.basket_m, self.basket_m if self.max_basket_m is None else self.max_basket_m

    def draw(self, orders: Baskets, known: np.ndarray) -> Samples:
        low, high = self.m_range
        return draw_samples(
            orders, known, n_samples=self.n_samples, basket_m=low, max_basket_m=high, seed=self.seed
        )

    def to_dict(self) -> dict:
        low, high = self.m_range
        return asdict(self) | {
            "max_basket_m": high,
            "recall_denominator": M.RECALL_DENOMINATOR,
            "recall_plain_denominator": M.RECALL_PLAIN_DENOMINATOR,
            "sampling": (
                f"orders weighted by NB_OCCURENCES_COMMANDE with >= m+1 known items, m uniform in "
                f"{low}..{high}; m random known items given, the other known items expected"
            ),
        }


def load_index(path: Path | str) -> RankerIndex:
    """The ranker's view of the run `path` designates (a run, a root, run_current), verified."""
    return RankerIndex.build(load_run(resolve_run(path)))


def read_orders(path: Path | str) -> Baskets:
    return baskets_from_frame(contract.read_ventes(path))


def load_interactions(run: RunArtifacts) -> sp.csr_matrix:
    """interactions.npz of a loaded run, its bytes checked against the manifest as they are read."""
    manifest, problems = check_manifest(run.run_dir)
    if manifest is None or problems:
        raise ArtifactError(f"{run.run_dir}: manifest no longer verifies: {'; '.join(problems)}")
    data = read_verified_bytes(run.run_dir, L.INTERACTIONS, manifest)
    return sp.load_npz(io.BytesIO(data)).tocsr()


# The baselines that also appear under the substitute rules: the co-purchase ones, whose lists
# hold substitutes side by side (popularity and embedding lists are not what the ranker is judged on).
RULED_BASELINES = (PairsOnly.name, Ease.name)


def applies_substitute_rules(profile: Profile) -> bool:
    """Whether some bucket of `profile` applies the substitute rules (SUBSTITUTES = 1)."""
    return any(params.SUBSTITUTES for params in profile.buckets.values())


def baselines(
    index: RankerIndex, protocol: Protocol, *, ease: bool = True, substitute_rules: bool = False
) -> list[Recommender]:
    """The baselines of the report (EASE is fitted here: see its report for how long it took).

    `substitute_rules` (the evaluated profile applies them and the run has a substitute table):
    the co-purchase baselines (pairs, EASE) also under those rules, as "<name>+rules"."""
    methods: list[Recommender] = [cls(index) for cls in SIMPLE_BASELINES]
    if ease:
        low, high = protocol.m_range
        model = fit_ease(
            index,
            load_interactions(index.run),
            k=protocol.k,
            basket_m=low,
            max_basket_m=high,
            seed=protocol.seed,
        )
        logs.event(
            log, "ease fitted", lam=model.report.lam, items=model.report.items, seconds=model.report.seconds
        )
        methods.append(model)
    if substitute_rules and index.substitutes is not None:
        methods += [UnderSubstituteRules(m, index.substitutes) for m in methods if m.name in RULED_BASELINES]
    return methods


@dataclass
class EvalReport:
    run: dict[str, str]
    ventes: dict
    profile: str
    protocol: Protocol
    leakage: dict
    samples: dict
    methods: list[MethodScores]
    timings: dict[str, float]
    warnings: list[str] = field(default_factory=list)
    controls: dict | None = None  # what the controls cost (controls_cost.py), with a catalogue state
    substitutes: dict | None = None  # the run's substitute table against the planted twins (--twins)

    @property
    def ranker(self) -> MethodScores:
        return next(m for m in self.methods if m.name == RankerRecommender.name)

    def lift(self) -> dict[str, dict]:
        """Per metric: the ranker, the best baseline, and the ranker's lift over it."""
        return self._lift([m for m in self._baselines() if not m.name.endswith(RULES_SUFFIX)])

    def lift_under_rules(self) -> dict[str, dict]:
        """The same against the baselines under the substitute rules (empty without them): how much
        of a gap to the plain baselines the rules cost rather than the ranking."""
        return self._lift([m for m in self._baselines() if m.name.endswith(RULES_SUFFIX)])

    def _baselines(self) -> list[MethodScores]:
        return [m for m in self.methods if not m.name.startswith(RankerRecommender.name)]

    def _lift(self, others: list[MethodScores]) -> dict[str, dict]:
        if not others:
            return {}
        out = {}
        for name in M.METRICS:
            key = metric_key(name, self.protocol.k)
            best = max(others, key=lambda m, key=key: m.overall[key])
            ours, theirs = self.ranker.overall[key], best.overall[key]
            # standard error of the gain: both methods ranked the same samples, so the difference
            # is taken sample by sample (a paired comparison)
            _, se = M.mean_and_se(self.ranker.per_sample[key] - best.per_sample[key])
            out[key] = {
                "ranker": ours,
                "best_baseline": best.name,
                "baseline": theirs,
                "absolute": ours - theirs,
                "relative": (ours / theirs - 1.0) if theirs > 0 else None,
                "ranker_beats_all": ours > theirs,
                "gain_in_standard_errors": (ours - theirs) / se if se > 0 else None,
            }
        return out

    def to_dict(self) -> dict:
        return (
            {
                "run": self.run,
                "ventes": self.ventes,
                "profile": self.profile,
                "protocol": self.protocol.to_dict(),
                "leakage": self.leakage,
                "samples": self.samples,
                "methods": {m.name: m.to_dict() for m in self.methods},
                "lift_over_best_baseline": self.lift(),
                "timings_s": self.timings,
                "warnings": self.warnings,
            }
            | ({"controls": self.controls} if self.controls is not None else {})
            | ({"substitutes": self.substitutes} if self.substitutes is not None else {})
            | ({"lift_under_substitute_rules": ruled} if (ruled := self.lift_under_rules()) else {})
        )


def evaluate_run(
    run: Path | str,
    ventes: Path | str,
    *,
    profile: Profile,
    protocol: Protocol = Protocol(),
    with_baselines: bool = True,
    with_ease: bool = True,
    allow_train_orders: bool = False,
    progress: ProgressFn | None = None,
    catalog: Path | str | None = None,
    rules: Path | str | None = None,
    twins: Path | str | None = None,
    variants: tuple[str, ...] = (),
) -> EvalReport:
    """Evaluate the ranker of `run` with `profile` on the orders of `ventes` (see module doc).

    `catalog` (a catalogue-state directory) adds what the controls cost on the same samples
    (controls_cost.py), with the rules version `rules` in force when given. `twins`: the demo's
    planted own-brand twins file, measured like the run's substitute table. `variants`: the ranker
    also ranks the samples under each (variant_profile), as methods "ranker[<variant>]"."""
    t0 = time.perf_counter()
    index = load_index(run)
    leakage = check_leakage(ventes, [index.run], allow_train_orders=allow_train_orders)
    orders = read_orders(ventes)
    samples = protocol.draw(orders, known_items(index))
    timings = {"load_and_sample": time.perf_counter() - t0}
    methods: list[Recommender] = [RankerRecommender(index, profile)]
    methods += [RankerRecommender(index, variant_profile(profile, v), variant=v) for v in variants]
    if with_baselines:
        t1 = time.perf_counter()
        ruled = applies_substitute_rules(profile)
        methods += baselines(index, protocol, ease=with_ease, substitute_rules=ruled)
        timings["baselines_fit"] = time.perf_counter() - t1  # EASE's fit, the rest is instant
    t2 = time.perf_counter()
    twin_pairs = None if twins is None else twin_matrix(index, twins)
    scores = evaluate_methods(
        index, samples, methods, mode=protocol.mode, k=protocol.k, progress=progress, twins=twin_pairs
    )
    timings["evaluation"] = time.perf_counter() - t2
    warnings = list(leakage["warnings"])
    if protocol.mode == "use_order" and (unknown := unknown_professions(index, samples)):
        warnings.append(f"{unknown} samples have a profession the run does not know: detected instead")
    controls = None
    if catalog is not None:
        t3 = time.perf_counter()
        controls = _controls_cost(index, profile, samples, protocol, catalog, rules)
        timings["controls"] = time.perf_counter() - t3
    return EvalReport(
        substitutes=None if twin_pairs is None else detection_vs_twins(index, twin_pairs),
        controls=controls,
        run={"run_id": index.run.run_id, "run_dir": str(index.run.run_dir)},
        ventes={"path": str(ventes), "orders": orders.n_baskets},
        profile=profile.name,
        protocol=protocol,
        leakage=leakage,
        samples=samples.describe(),
        methods=scores,
        timings={name: round(seconds, 3) for name, seconds in timings.items()},
        warnings=warnings,
    )


VARIANTS = ("boost", "mdd_swap", "alternative", "no_substitutes")


def variant_profile(profile: Profile, variant: str) -> Profile:
    """`profile` with every bucket under the own-brand policy `variant` (MDD_POLICY), or without
    the substitute rules ("no_substitutes": SUBSTITUTES 0)."""
    if variant not in VARIANTS:
        raise RecoError(f"unknown variant {variant!r}: one of {', '.join(VARIANTS)}", exit_code=2)
    update = {"SUBSTITUTES": 0} if variant == "no_substitutes" else {"MDD_POLICY": variant}
    return Profile(
        f"{profile.name}[{variant}]",
        {name: p.model_copy(update=update) for name, p in profile.buckets.items()},
    )


def twin_matrix(index: RankerIndex, path: Path | str) -> sp.csr_matrix:
    """The planted twins of a demo twins file as a symmetric items x items matrix of the run
    (twins the run does not know are left out)."""
    from reco_core.demo.generator import read_twins

    position = index.run.item_index
    pairs = [(position[a], position[b]) for a, b in read_twins(Path(path)) if a in position and b in position]
    a, b = (
        (np.array(side, dtype=np.int64) for side in zip(*pairs, strict=True))
        if pairs
        else (np.empty(0, np.int64),) * 2
    )
    return M.pair_matrix(index.n_items, a, b)


def detection_vs_twins(index: RankerIndex, twins: sp.csr_matrix) -> dict:
    """How well the run's substitute table finds the planted twins (pairs of items of the run).

    precision: table pairs that are twins / table pairs; recall: twins in the table / twins;
    recall_by_sales: the same, each twin weighted by the sales of its less sold item (train_pop):
    the share of the twins' traffic the rules can act on."""
    twin_pairs = sp.triu(twins, k=1).tocoo()
    out: dict = {"twins": int(twin_pairs.nnz), "table": "none" if index.substitutes is None else "present"}
    if index.substitutes is None:
        return out
    table = sp.triu(substitute_matrix(index), k=1).tocsr()
    found = np.asarray(table[twin_pairs.row, twin_pairs.col]).ravel() > 0
    pop = np.asarray(index.run.train_pop, dtype=np.float64)
    weight = np.minimum(pop[twin_pairs.row], pop[twin_pairs.col])
    out.update(
        table_pairs=int(table.nnz),
        found=int(found.sum()),
        precision=float(found.sum() / table.nnz) if table.nnz else None,
        recall=float(found.mean()) if len(found) else None,
        recall_by_sales=float(weight[found].sum() / weight.sum()) if weight.sum() > 0 else None,
    )
    return out


def _controls_cost(
    index: RankerIndex,
    profile: Profile,
    samples: Samples,
    protocol: Protocol,
    catalog: Path | str,
    rules: Path | str | None,
) -> dict:
    from reco_core.catalog.state import load_catalog
    from reco_core.evaluation.controls_cost import controls_cost
    from reco_core.evaluation.scoring import query_professions
    from reco_core.ranking.controls import ControlIndex
    from reco_core.rules.apply import RulesEngine
    from reco_core.rules.versions import load_rules

    view = ControlIndex.build(index, load_catalog(catalog))
    engine = None if rules is None else RulesEngine.build(load_rules(rules), view)
    professions = query_professions(index, samples, protocol.mode)
    return controls_cost(view, engine, profile, samples, professions, protocol.k, protocol.seed)
