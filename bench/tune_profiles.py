"""Coordinate search of profile weights on VALIDATION slices of the training baskets.

Never on the test holdout: for each dataset (the demo and the real ones, prepared exactly as
bench/quality.py does), the extraction's training orders are split - each grouped row's
NB_OCCURENCES_COMMANDE drawn binomially, 10 % of the orders to validation - and a tuning run is
trained on the other 90 % (pairs counted from those baskets). Candidates are scored on samples
of the validation orders only; the holdout of bench/quality.py is never read.

Each basket-size bucket is tuned on samples of its own sizes (bucket "1": m = 1, "2": m = 2,
"3+": m = 3..4, "5+": m = 5..8), mode use_order, starting from the profile's current values for
that size (--profile, default blend_tuned_v3: fixed weights; the learned blend of a run needs no
tuning). Bucket "1" of precision_pair_heavy_v2 is the original product's: when that profile is
tuned, only the parameters it does not set (it inherits them from "default": PAIR_REV_WEIGHT,
W_COVERAGE...) are searched.
The objective of a candidate is the mean, over datasets and over Hit@10 and MRR@10, of its
relative lift over the best baseline (EASE included) on that dataset's samples, each lift capped
at +2 % so that a dataset already ahead does not buy losses elsewhere (the goal of
docs/quality.md: beat every baseline on both metrics everywhere). Coordinate search: each
parameter in turn takes the grid value that improves the objective, for --passes passes. Best
baseline values are cached in <work>/<dataset>/tune/baselines.json (EASE's fit is slow).

    .venv/bin/python bench/tune_profiles.py --work-dir /tmp/q              # reuses bench/quality.py data
    .venv/bin/python bench/tune_profiles.py --datasets demo groceries_arules --buckets 2 --passes 1
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from quality import prepare, sources, train_run

from reco_core import columns as C
from reco_core.contract import VENTES_SCHEMA, read_ventes, write_parquet
from reco_core.errors import RecoError
from reco_core.evaluation import Protocol, load_profile
from reco_core.evaluation.evaluate import baselines, load_index, read_orders
from reco_core.evaluation.sampling import Samples
from reco_core.evaluation.scoring import RankerRecommender, evaluate_methods, known_items
from reco_core.ranking import BasketParams, Profile, RankerIndex
from reco_core.settings import RecoSettings

TUNED_PROFILE = "blend_tuned_v3"  # fixed weights: what a search of weights can change

VAL_SHARE = 0.1
BUCKET_SIZES = {"1": (1, 1), "2": (2, 2), "3+": (3, 4), "5+": (5, 8)}
GRID: dict[str, tuple[float, ...]] = {
    "W_PAIR": (0.5, 0.7, 1.0, 1.5, 2.0, 3.0, 4.0),
    "PAIR_ANY_WEIGHT": (0.2, 0.4, 0.7, 1.0, 1.5, 2.0, 3.0, 4.0),
    "W_EMB": (0.0, 0.1, 0.2, 0.3, 0.45, 0.6, 0.8),
    "W_POPP": (0.0, 0.05, 0.15, 0.3),
    "W_POPG": (0.0, 0.05, 0.15),
    "TOP_PAIRS_ANY_FRAC": (0.25, 0.5, 1.0),
    "PAIR_REV_WEIGHT": (0.0, 0.1, 0.25, 0.5),
    "W_COVERAGE": (0.0, 0.1, 0.2, 0.4),
    # diversity stays on (the profile is the API's default): MMR never pure relevance, gammes capped
    "MMR_LAMBDA": (0.75, 0.85, 0.95),
    "CAP_PER_GAMME": (2, 3, 5),
}
GATED = ("hit@10", "mrr@10")
LIFT_CAP = 0.02  # a dataset already 2 % ahead of its best baseline stops pulling the objective
ORIGINAL = ("precision_pair_heavy_v2", "1")  # the original product's bucket: only what it inherits is tuned


@dataclasses.dataclass
class Slice:
    """One dataset's validation samples for one bucket, with the best baseline of each metric."""

    dataset: str
    index: RankerIndex
    samples: Samples
    best: dict[str, float]


def split_training_orders(data_dir: Path, out: Path, seed: int = 42) -> tuple[Path, Path]:
    """(train, validation) ventes files: each row's orders drawn binomially, VAL_SHARE to validation."""
    train_path, val_path = out / "train.parquet", out / "validation.parquet"
    if train_path.is_file() and val_path.is_file():
        return train_path, val_path
    out.mkdir(parents=True, exist_ok=True)
    ventes = read_ventes(data_dir / C.VENTES_FILE)
    weight = ventes[C.NB_OCCURENCES_COMMANDE].to_numpy()
    held = np.random.default_rng(seed).binomial(weight, VAL_SHARE)
    for path, counts in ((train_path, weight - held), (val_path, held)):
        part = ventes.assign(**{C.NB_OCCURENCES_COMMANDE: counts})
        write_parquet(part[counts > 0], path, VENTES_SCHEMA)
    return train_path, val_path


def best_baselines(cache: Path, key: str, compute) -> dict[str, float]:
    """The best baseline values of a slice, cached in `cache` (EASE's fit is the slow part)."""
    known = json.loads(cache.read_text()) if cache.is_file() else {}
    if key not in known:
        known[key] = compute()
        cache.write_text(json.dumps(known, indent=2))
    return known[key]


def slices(name: str, source: Path | None, work: Path, args: argparse.Namespace) -> dict[str, Slice]:
    """The validation slices of one dataset, one per tuned bucket."""
    prepared = prepare(name, source, work)
    train_path, val_path = split_training_orders(prepared.data_dir, work / name / "tune")
    run, seconds = train_run(
        prepared.data_dir, work / name / "tune" / "artifacts", args.epochs, ventes=train_path
    )
    print(f"{name}: tuning run trained in {seconds:.0f} s", file=sys.stderr, flush=True)
    index, orders = load_index(run), read_orders(val_path)
    methods: list = []  # fitted on first need (EASE: once per dataset), then cached per slice

    def best_of(samples: Samples) -> dict[str, float]:
        methods[:] = methods or baselines(index, Protocol(basket_m=1, max_basket_m=3))
        scores = evaluate_methods(index, samples, methods, mode="use_order", k=10)
        return {key: max(s.overall[key] for s in scores) for key in GATED}

    out = {}
    for bucket in args.buckets:
        low, high = BUCKET_SIZES[bucket]
        protocol = Protocol(
            basket_m=low, max_basket_m=high, n_samples=args.n_samples, seed=7, mode="use_order"
        )
        try:
            samples = protocol.draw(orders, known_items(index))
        except RecoError as exc:  # a dataset without orders that large has nothing to say on that bucket
            print(f"{name}: bucket {bucket} skipped ({exc})", file=sys.stderr)
            continue
        key = f"{run.name}:{bucket}:{args.n_samples}"
        best = best_baselines(work / name / "tune" / "baselines.json", key, lambda s=samples: best_of(s))
        out[bucket] = Slice(name, index, samples, best)
    return out


def objective(params: BasketParams, cases: list[Slice]) -> tuple[float, dict[str, dict[str, float]]]:
    """Mean relative lift over the best baseline (Hit@10, MRR@10, every dataset; each capped at
    LIFT_CAP), and the uncapped lifts."""
    details, lifts = {}, []
    for case in cases:
        ranker = RankerRecommender(case.index, Profile.fixed(params))
        overall = evaluate_methods(case.index, case.samples, [ranker], mode="use_order", k=10)[0].overall
        details[case.dataset] = {key: overall[key] / case.best[key] - 1.0 for key in GATED}
        lifts += [min(lift, LIFT_CAP) for lift in details[case.dataset].values()]
    return float(np.mean(lifts)), details


def coordinate_search(
    start: BasketParams, cases: list[Slice], passes: int, fixed: frozenset[str] = frozenset()
) -> tuple[BasketParams, list[dict]]:
    """Each parameter of GRID not in `fixed` in turn takes its best grid value, `passes` times."""
    best = start
    best_score, details = objective(best, cases)
    trail = [{"step": "start", "objective": best_score, "lift": details}]
    for _ in range(passes):
        improved = False
        for name, values in GRID.items():
            for value in values if name not in fixed else ():
                if getattr(best, name) == value:
                    continue
                candidate = best.model_copy(update={name: value})
                score, details = objective(candidate, cases)
                if score > best_score + 1e-4:
                    best, best_score, improved = candidate, score, True
                    trail.append({"step": f"{name}={value}", "objective": score, "lift": details})
                    print(f"  {name}={value}: objective {score:+.4f}", file=sys.stderr, flush=True)
        if not improved:
            break
    return best, trail


RELEVANCE_WEIGHTS = ("W_PAIR", "W_EMB", "W_POPP", "W_POPG", "W_COVERAGE")


def shipped_values(params: BasketParams) -> dict[str, float]:
    """The relevance weights rescaled so that the largest pair contribution, W_PAIR x (1 +
    PAIR_ANY_WEIGHT), is 1: the ranking is unchanged (MMR min-max normalises relevance) except
    against the MDD bonuses, which are absolute and so keep their original strength."""
    scale = 1.0 / (params.W_PAIR * (1.0 + params.PAIR_ANY_WEIGHT))
    return {name: round(getattr(params, name) * scale, 4) for name in RELEVANCE_WEIGHTS}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--datasets", nargs="*", help="names (default: demo and every real dataset found)")
    parser.add_argument("--buckets", nargs="*", default=list(BUCKET_SIZES), choices=list(BUCKET_SIZES))
    parser.add_argument("--profile", default=TUNED_PROFILE)
    parser.add_argument("--profiles", type=Path, help="profiles file (default: $PANIER_PARAMS_PATH)")
    parser.add_argument(
        "--n-samples", type=int, default=1500, help="validation samples per dataset and bucket"
    )
    parser.add_argument("--passes", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--work-dir", type=Path, help="bench/quality.py's work dir: data and runs are reused")
    parser.add_argument("--out", type=Path, help="write the search trail as JSON")
    args = parser.parse_args()
    available = sources()
    names = [n for n in (args.datasets or list(available)) if n in available]
    profile = load_profile(args.profile, args.profiles)
    result = {}
    with tempfile.TemporaryDirectory(prefix="reco-tune-") as tmp:
        work = args.work_dir or Path(tmp)
        by_bucket: dict[str, list[Slice]] = {bucket: [] for bucket in args.buckets}
        for name in names:
            for bucket, case in slices(name, available[name], work, args).items():
                by_bucket[bucket].append(case)
        raw = json.loads((args.profiles or RecoSettings().panier_params_path).read_text())[profile.name][
            "basket_params_by_size"
        ]
        for bucket, cases in by_bucket.items():
            start = time.perf_counter()
            print(f"bucket {bucket}: {len(cases)} datasets", file=sys.stderr, flush=True)
            _, current = profile.for_size(BUCKET_SIZES[bucket][0])
            fixed = frozenset(raw[bucket]) if (profile.name, bucket) == ORIGINAL else frozenset()
            best, trail = coordinate_search(current, cases, args.passes, fixed)
            changed = {k: v for k, v in best.model_dump().items() if v != getattr(current, k)}
            result[bucket] = {"changed": changed, "fixed": sorted(fixed), "trail": trail}
            if not fixed:
                result[bucket]["shipped"] = {**changed, **shipped_values(best)}
            result[bucket]["seconds"] = round(time.perf_counter() - start, 1)
            print(f"bucket {bucket}: {json.dumps(changed)}; final {trail[-1]['lift']}", flush=True)
            if "shipped" in result[bucket]:
                print(f"bucket {bucket}, to ship: {json.dumps(result[bucket]['shipped'])}", flush=True)
    result["datasets"] = names
    if args.out:
        args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
