"""Quality benchmark: the default profile against the baselines on the demo and the real datasets.

For the demo warehouse (generate_demo defaults: 3,000 products, 50,000 orders) and for each real
dataset of ../shared/datasets (skipped, with a note, when the folder is absent):
1. load it into a SQLite warehouse (demo tables, or `import_baskets`);
2. extract with a holdout: the last days of orders where the data has dates (online_retail 30
   days, tafeng 14 days, demo 30 days), else a seeded random 10 % of the orders;
3. train with the default `reco train` flags (--epochs capped by --epochs, default 30 = the
   default flag itself; early stopping usually stops sooner);
4. `reco eval` on the holdout: the API's default profile (--profile) and every baseline, mode
   use_order, basket-m 1 to 3, --n-samples samples, seed 42; the ranker with each profile of
   --also-profiles on the same samples.
Prints one table (dataset x method: Hit@10, Recall@10, MRR@10, own-brand share, distinct
gammes and lists with two substitutes of each other, fit and eval seconds) and whether the
ranker meets the goal on Hit@10 and MRR@10: >= 2 % over the best baseline, by more than two
standard errors of the difference.

    .venv/bin/python bench/quality.py                                 # everything (~30-60 min)
    .venv/bin/python bench/quality.py --datasets demo groceries_arules --n-samples 5000
    .venv/bin/python bench/quality.py --work-dir /tmp/q --out /tmp/q/quality.json  # keep data/runs
    .venv/bin/python bench/quality.py --also-profiles precision_pair_heavy_v2 diversity_friendly_v2

With --work-dir, a dataset already extracted or trained there is reused (its times then read
from extraction.json / params.json). bench/tune_profiles.py prepares its datasets with
`prepare` and `train_run` from here.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))  # where the shared datasets are: tests/helpers/datasets.py

from helpers.datasets import SHARED_DATASETS, dataset_dirs  # noqa: E402

from reco_core import columns as C  # noqa: E402
from reco_core.artifacts.store import list_runs  # noqa: E402
from reco_core.demo.generator import generate_demo  # noqa: E402
from reco_core.evaluation import DEFAULT_PROFILE, EvalReport, Protocol, evaluate_run, load_profile  # noqa: E402
from reco_core.evaluation.report import to_json  # noqa: E402
from reco_core.training.config import TrainConfig  # noqa: E402
from reco_core.training.pipeline import train  # noqa: E402
from reco_core.warehouse.extract import extract  # noqa: E402
from reco_core.warehouse.importer import BASKETS_FILE, DATE, import_baskets  # noqa: E402
from reco_core.warehouse.load import write_tables  # noqa: E402

DEMO = "demo"
HOLDOUT_DAYS = {DEMO: 30, "online_retail": 30, "tafeng": 14}  # dated data; others: a random share
DEFAULT_HOLDOUT_DAYS = 30  # a dated dataset not listed above
HOLDOUT_FRAC = 0.1
PROTOCOL = Protocol(k=10, basket_m=1, max_basket_m=3, n_samples=10_000, seed=42, mode="use_order")
GATED = ("hit@10", "mrr@10")
GOAL = 0.02  # relative gain over the best baseline asked of the default profile


@dataclass(frozen=True)
class Prepared:
    name: str
    data_dir: Path
    holdout: str  # the rule, as the table shows it
    seconds: float  # import + extraction


def sources() -> dict[str, Path | None]:
    """The datasets: the demo (None: generated) and every real one found."""
    return {DEMO: None} | {path.name: path for path in dataset_dirs()}


def holdout_rule(name: str, source: Path | None) -> dict[str, float]:
    dated = source is None or DATE in pq.read_schema(source / BASKETS_FILE).names
    if dated:
        return {"holdout_days": HOLDOUT_DAYS.get(name, DEFAULT_HOLDOUT_DAYS)}
    return {"holdout_frac": HOLDOUT_FRAC}


def prepare(name: str, source: Path | None, work: Path) -> Prepared:
    """Warehouse + extraction of one dataset under `work/name` (reused when already extracted)."""
    base = work / name
    data_dir = base / "data"
    rule = holdout_rule(name, source)
    label = f"last {rule['holdout_days']} days" if "holdout_days" in rule else f"random {HOLDOUT_FRAC:.0%}"
    summary = data_dir / C.EXTRACTION_SUMMARY_FILE
    if summary.is_file():
        timings = json.loads(summary.read_text())["timings_s"]
        return Prepared(name, data_dir, label, timings["total"])
    base.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    url = f"sqlite:///{base / 'warehouse.db'}"
    if source is None:
        write_tables(url, generate_demo().tables())
    else:
        import_baskets(source, url)
    extract(url, data_dir, **rule)
    return Prepared(name, data_dir, label, time.perf_counter() - start)


def train_run(data_dir: Path, root: Path, epochs: int, *, ventes: Path | None = None) -> tuple[Path, float]:
    """(run, training seconds): the default flags, --epochs capped; reused when `root` has a run.

    `ventes` replaces the extraction's training file (tune_profiles.py trains without its
    validation slice); pairs are then counted from those baskets, not read from the extraction.
    """
    if root.is_dir() and (runs := list_runs(root)):
        params = json.loads((runs[-1] / "params.json").read_text())
        return runs[-1], sum(params["timings"].values())
    cfg = TrainConfig(
        ventes=ventes or data_dir / C.VENTES_FILE,
        details=data_dir / C.DETAILS_FILE,
        pairs=None if ventes else data_dir / C.PAIRS_FILE,
        artifact_root=root,
        epochs=epochs,
        threads=2,
    )
    start = time.perf_counter()
    run = train(cfg)
    return run, time.perf_counter() - start


def rows_of(
    name: str, prepared: Prepared, train_s: float, report: EvalReport, others: dict[str, EvalReport]
) -> list[list[str]]:
    """Markdown rows of one dataset: one per method, the ranker first with the goal verdict, then
    the ranker with each other profile (`others`, evaluated on the same samples)."""
    data = report.to_dict()
    lift = data["lift_over_best_baseline"]
    missed = [key for key in GATED if not goal_met(lift[key])]
    goal = (
        "met"
        if not missed
        else "NOT met: "
        + ", ".join(
            f"{k} {100 * lift[k]['relative']:+.1f} % vs {lift[k]['best_baseline']} "
            f"({lift[k]['gain_in_standard_errors']:.1f} SE)"
            for k in missed
        )
    )
    methods = dict(data["methods"])
    ranker = methods.pop("ranker")
    methods = (
        {"ranker": ranker}
        | {f"ranker, {profile}": other.to_dict()["methods"]["ranker"] for profile, other in others.items()}
        | methods
    )
    out = []
    for method, m in methods.items():
        fit = train_s if method.startswith("ranker") else m.get("fit", {}).get("seconds")
        lists = m.get("lists", {})
        out.append(
            [
                name if method == "ranker" else "",
                method,
                f"{m['overall']['hit@10']:.4f}",
                f"{m['overall']['recall@10']:.4f}",
                f"{m['overall']['mrr@10']:.4f}",
                f"{100 * lists['own_brand_share']:.1f}" if lists else "",
                f"{lists['distinct_gammes']:.1f}" if lists else "",
                # lists with two substitutes of each other (the run's table; "" for a run without one)
                f"{100 * lists['mutual_substitute_rate']:.1f}" if "mutual_substitute_rate" in lists else "",
                "" if fit is None else f"{fit:.1f}",
                f"{m['seconds']:.1f}",
                (f"{prepared.holdout}; {data['samples']['n']} samples; goal {goal}")
                if method == "ranker"
                else "",
            ]
        )
    return out


def goal_met(lift: dict) -> bool:
    """The product's promise on one metric: >= GOAL relative gain over the best baseline, and a gain
    larger than two standard errors (of the difference)."""
    return (lift["relative"] or 0.0) >= GOAL and (lift["gain_in_standard_errors"] or 0.0) > 2.0


def markdown(rows: list[list[str]]) -> str:
    header = [
        "dataset",
        "method",
        "Hit@10",
        "Recall@10",
        "MRR@10",
        "MDD %",
        "gammes",
        "2 subst. %",
        "fit s",
        "eval s",
        "notes",
    ]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows])


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--datasets", nargs="*", help="names (default: demo and every real dataset found)")
    parser.add_argument("--n-samples", type=int, default=PROTOCOL.n_samples)
    parser.add_argument(
        "--epochs", type=int, default=30, help="cap of LightFM epochs (30 = the default flag)"
    )
    parser.add_argument("--work-dir", type=Path, help="keep warehouses, extractions and runs here (reused)")
    parser.add_argument("--profiles", type=Path, help="profiles file (default: $PANIER_PARAMS_PATH)")
    parser.add_argument(
        "--profile", default=DEFAULT_PROFILE, help="the ranker's profile, judged against the baselines"
    )
    parser.add_argument(
        "--also-profiles", nargs="*", default=[], help="other profiles ranked on the same samples, shown"
    )
    parser.add_argument("--out", type=Path, help="also write every evaluation report as JSON")
    args = parser.parse_args()
    available = sources()
    if not dataset_dirs():
        print(f"note: no real dataset under {SHARED_DATASETS}: demo only", file=sys.stderr)
    names = args.datasets or list(available)
    unknown = [n for n in names if n not in available]
    if unknown:
        print(f"skipped (not found under {SHARED_DATASETS}): {', '.join(unknown)}", file=sys.stderr)
    profile = load_profile(args.profile, args.profiles)
    protocol = dataclasses.replace(PROTOCOL, n_samples=args.n_samples)
    rows, reports = [], {}
    with tempfile.TemporaryDirectory(prefix="reco-quality-") as tmp:
        work = args.work_dir or Path(tmp)
        for name in (n for n in names if n in available):
            prepared = prepare(name, available[name], work)
            print(
                f"{name}: extracted ({prepared.holdout}) in {prepared.seconds:.0f} s",
                file=sys.stderr,
                flush=True,
            )
            run, train_s = train_run(prepared.data_dir, work / name / "artifacts", args.epochs)
            print(f"{name}: trained in {train_s:.0f} s", file=sys.stderr, flush=True)
            holdout = prepared.data_dir / C.HOLDOUT_FILE
            report = evaluate_run(run, holdout, profile=profile, protocol=protocol)
            others = {
                other: evaluate_run(
                    run,
                    holdout,
                    profile=load_profile(other, args.profiles),
                    protocol=protocol,
                    with_baselines=False,
                )
                for other in args.also_profiles
            }
            reports[name] = report.to_dict() | {
                "train_seconds": train_s,
                "prepare_seconds": prepared.seconds,
                "other_profiles": {other: r.to_dict()["methods"]["ranker"] for other, r in others.items()},
            }
            rows += rows_of(name, prepared, train_s, report, others)
            print(f"{name}: evaluated in {report.timings['evaluation']:.0f} s", file=sys.stderr, flush=True)
    print(markdown(rows))
    print(
        f"\nprotocol: mode {protocol.mode}, m {protocol.basket_m}..{protocol.max_basket_m}, "
        f"K {protocol.k}, seed {protocol.seed}; profile {profile.name}; epochs cap {args.epochs}; "
        "fit s = training (ranker) / EASE fit incl. lambda tuning; eval s = scoring the samples"
    )
    if args.out:
        args.out.write_text(to_json(reports), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
