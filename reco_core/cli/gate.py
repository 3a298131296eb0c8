"""`reco gate CANDIDATE [--reference RUN]`: the promotion gate's decision, as the DAG makes it.

Same rules (reco_core.gate), same defaults (GateConfig), same profiles and ranking settings as the
API (PANIER_PARAMS_PATH and the ranking overrides), same decision document and HTML report under
`<artifact root>/evaluations/`. Without --reference the candidate is judged against run_current,
or by the first-run floor when there is none. Exit status: 0 pass, 1 fail.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from reco_core import columns as C
from reco_core.artifacts.store import default_artifact_root
from reco_core.cli._common import default_data_dir
from reco_core.cli._fields import add_field
from reco_core.gate import GateConfig

GATE_FIELDS = tuple(GateConfig.model_fields)


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "gate",
        help="the promotion gate: judge a candidate run against run_current (or a reference)",
        description=__doc__.split("\n\n")[1],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("candidate", type=Path, metavar="CANDIDATE", help="the candidate run directory")
    p.add_argument(
        "--reference", type=Path, default=None, help="reference run (default: run_current of the root)"
    )
    p.add_argument(
        "--artifact-root",
        type=Path,
        default=default_artifact_root(),
        help="the store whose run_current is the reference and whose evaluations/ gets the decision",
    )
    p.add_argument(
        "--ventes",
        type=Path,
        default=default_data_dir() / C.HOLDOUT_FILE,
        help="held-out orders both runs rank (the DAG's: <data_dir>/dag_runs/<run>/" + C.HOLDOUT_FILE + ")",
    )
    for name in GATE_FIELDS:
        add_field(p, GateConfig, name)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from reco_core.artifacts.store import current_run
    from reco_core.cli._common import build_config
    from reco_core.cli._fields import config_values
    from reco_core.errors import RecoError
    from reco_core.gate import judge

    for flag, path in (("CANDIDATE", args.candidate), ("--ventes", args.ventes)):
        if not path.exists():
            raise RecoError(f"{flag}: no such file or directory: {path}", exit_code=2)
    config = build_config(GateConfig, config_values(args, GateConfig))
    reference = args.reference or current_run(args.artifact_root)
    decision = judge(args.candidate, reference, args.ventes, config, args.artifact_root)
    print(decision.message())
    return 0 if decision.passed else 1
