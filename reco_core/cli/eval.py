"""`reco eval`: offline evaluation of a run with baselines, or `--compare` of two runs (the gate).

The original's flags and defaults (README §9), plus --profile/--profiles (default: the API's),
--allow-train-orders (refused by default when --ventes is the run's training input), --data-dir
(where the holdout is looked for), --no-ease (skip the one baseline that needs a fit) and
--report (the same numbers as one HTML file with charts, for people: evaluation/html_report.py).
Exit status of --compare: 0 when the candidate passes the gate, 1 when it fails; its --tolerance is
GateConfig's, the one `reco gate` and the DAG apply.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from reco_core import columns as C
from reco_core.artifacts.store import default_artifact_root
from reco_core.cli._common import default_data_dir
from reco_core.cli._fields import add_field
from reco_core.gate import GateConfig


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "eval",
        help="offline evaluation (Hit/Recall/MRR@K) of a run and baselines on held-out orders",
        description="Evaluate the ranker of a run and simple baselines on the same samples of held-out "
        "orders, or compare two runs (--compare CANDIDATE REFERENCE).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument(
        "--data-dir",
        type=Path,
        default=default_data_dir(),
        help=f"extraction directory whose {C.HOLDOUT_FILE} is the default --ventes",
    )
    p.add_argument(
        "--ventes",
        type=Path,
        default=None,
        help=f"orders to evaluate on (default: DATA_DIR/{C.HOLDOUT_FILE})",
    )
    p.add_argument(
        "--artifact-dir",
        type=Path,
        default=default_artifact_root(),
        help="a run, or an artifact root (its run_current, else its latest run)",
    )
    p.add_argument("--k", type=int, default=10, help="length of the recommended list")
    p.add_argument("--basket-m", type=int, default=1, help="smallest number of items given to the ranker")
    p.add_argument(
        "--max-basket-m", type=int, default=None, help="largest number of items given (default: --basket-m)"
    )
    p.add_argument("--n-samples", type=int, default=10_000)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument(
        "--out", type=Path, default=None, help="write the JSON report here ('-': stdout) instead of the table"
    )
    p.add_argument(
        "--report",
        type=Path,
        default=None,
        help="also write a self-contained HTML report here (tables and charts, opens offline)",
    )
    p.add_argument(
        "--mode",
        choices=("auto", "use_order", "none"),
        default="auto",
        help="auto: profession detected from the basket; use_order: the order's; none: no profession",
    )
    p.add_argument("--profile", default=None, help="ranking profile (default: the API's default profile)")
    p.add_argument(
        "--profiles",
        type=Path,
        default=None,
        help="profiles file (default: $PANIER_PARAMS_PATH, else the one shipped in reco_core, as the API)",
    )
    p.add_argument(
        "--allow-train-orders",
        action="store_true",
        help="evaluate even if --ventes is the run's training input (the report then says so loudly)",
    )
    p.add_argument(
        "--catalog",
        type=Path,
        default=None,
        help="a catalogue state (or a root: its catalog_current) to report what the controls cost "
        "(default: the catalog_current beside the evaluated run, if any)",
    )
    p.add_argument(
        "--rules",
        type=Path,
        default=None,
        help="a rules version (or a root: its rules_current) applied with the controls "
        "(default: the rules_current beside the evaluated run, if any)",
    )
    p.add_argument("--no-controls", action="store_true", help="do not report what the controls cost")
    p.add_argument(
        "--twins",
        type=Path,
        default=None,
        help="the demo's planted own-brand twins (demo_twins.json, written by `reco demo-warehouse` beside "
        "the kits): the report adds the share of lists holding a twin of a basket item, or two twins",
    )
    p.add_argument(
        "--variants",
        nargs="+",
        default=[],
        choices=("boost", "mdd_swap", "alternative", "no_substitutes"),
        help="also rank the samples with the profile under these own-brand policies (MDD_POLICY), or "
        "without the substitute rules (SUBSTITUTES 0): rows ranker[<variant>] of the report",
    )
    p.add_argument("--no-baselines", action="store_true", help="evaluate the ranker alone")
    p.add_argument("--no-ease", action="store_true", help="skip the EASE baseline (the only one with a fit)")
    gate = p.add_argument_group("comparison of two runs (the promotion gate)")
    gate.add_argument(
        "--compare",
        nargs=2,
        type=Path,
        metavar=("CANDIDATE", "REFERENCE"),
        help="rank the same samples with both runs; pass if candidate >= reference x (1 - tolerance) "
        "on hit@K and mrr@K",
    )
    add_field(gate, GateConfig, "tolerance")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from reco_core.errors import RecoError
    from reco_core.evaluation import DEFAULT_PROFILE, Protocol, compare_runs, evaluate_run, load_profile
    from reco_core.evaluation.report import format_comparison, format_evaluation
    from reco_core.evaluation.scoring import Progress

    ventes = args.ventes or args.data_dir / C.HOLDOUT_FILE
    if not ventes.is_file():
        raise RecoError(
            f"--ventes: no such file: {ventes} (run `reco data` with a holdout, or give --ventes)",
            exit_code=2,
        )
    profile = load_profile(args.profile or DEFAULT_PROFILE, args.profiles)
    protocol = Protocol(
        k=args.k,
        basket_m=args.basket_m,
        max_basket_m=args.max_basket_m,
        n_samples=args.n_samples,
        seed=args.seed,
        mode=args.mode,
    )
    progress = None if args.quiet else Progress(args.n_samples)
    if args.compare:
        comparison = compare_runs(
            *args.compare,
            ventes,
            tolerance=args.tolerance,
            profile=profile,
            protocol=protocol,
            allow_train_orders=args.allow_train_orders,
            progress=progress,
        )
        data = comparison.to_dict()
        _output(data, args.out, args.report, format_comparison(data), data["leakage"]["warnings"])
        return 0 if comparison.passed else 1
    catalog, rules = (None, None) if args.no_controls else _state_dirs(args)
    report = evaluate_run(
        args.artifact_dir,
        ventes,
        profile=profile,
        protocol=protocol,
        with_baselines=not args.no_baselines,
        with_ease=not args.no_ease,
        allow_train_orders=args.allow_train_orders,
        progress=progress,
        catalog=catalog,
        rules=rules,
        twins=args.twins,
        variants=tuple(args.variants),
    )
    data = report.to_dict()
    _output(data, args.out, args.report, format_evaluation(data), data["warnings"])
    return 0


def _state_dirs(args: argparse.Namespace) -> tuple[Path | None, Path | None]:
    """The catalogue state and rules version to evaluate the controls with: the flags, else the
    ones promoted beside the evaluated run (none: the controls are not reported)."""
    from reco_core.artifacts.store import current_run, resolve_run
    from reco_core.catalog.layout import CATALOG
    from reco_core.rules.layout import RULES

    run_dir = resolve_run(args.artifact_dir)
    found = []
    for given, kind in ((args.catalog, CATALOG), (args.rules, RULES)):
        if given is not None:
            found.append(resolve_run(given, kind))
        else:
            found.append(current_run(run_dir.parent, kind))
    return found[0], (found[1] if found[0] is not None else None)


def _output(data: dict, out: Path | None, report: Path | None, text: str, warnings: list[str]) -> None:
    """The table on stdout, or the JSON to --out ('-': stdout) with the warnings repeated on stderr;
    the HTML report to --report besides either."""
    from reco_core.evaluation.html_report import write_report
    from reco_core.evaluation.report import to_json, write_json

    if report is not None:
        write_report(data, report)
        print(
            f"reco eval: HTML report written to {report}", file=sys.stderr if str(out) == "-" else sys.stdout
        )
    if out is None:
        print(text)
        return
    if str(out) == "-":
        sys.stdout.write(to_json(data))
    else:
        write_json(data, out)
        print(f"reco eval: report written to {out}")
    for warning in warnings:
        print(f"reco eval: WARNING: {warning}", file=sys.stderr)
