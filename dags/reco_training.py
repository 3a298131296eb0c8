"""reco_training: the daily pipeline from the warehouse to the serving API.

data: extract -> validate
model: train -> verify -> evaluate -> gate
release: promote -> reload_serving -> check_serving

Each task calls the reco_core function the `reco` CLI calls, or a helper of reco_airflow for
what is Airflow's business (connections, the HTTP calls to the API, the data checks, alerts).
Tasks hand typed values down through XCom, never data: the extraction directory (extract), the run
directory (train), the gate's decision (evaluate); tasks with only side effects are ordered with
`>>`. Training writes the precomputed arrays, so nothing recomputes them here (`reco precompute`
remains the command for an older run).

The Params are built from TrainConfig and GateConfig (reco_airflow.params), the sources the `reco
train` and `reco gate` flags are built from: the DAG and the CLI train and judge by the same rules.
A data check failure stops the run before training; a regression beyond the gate's tolerance
stops it before promotion; an API that does not come up healthy on the promoted run gets
run_current rolled back. Every failed task e-mails an alert saying why. See docs/airflow.md.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from airflow.sdk import Param, TaskGroup, dag, task

from reco_airflow.alerts import task_defaults
from reco_airflow.links import HtmlReportLink
from reco_airflow.params import param_of
from reco_core.artifacts.layout import TAG_RE
from reco_core.gate import GateConfig
from reco_core.training.config import TrainConfig

if TYPE_CHECKING:
    from airflow.sdk.types import RuntimeTaskInstanceProtocol

log = logging.getLogger(__name__)

# DAG params that are TrainConfig fields of the same name (the `reco train` flags).
TRAIN_FLAGS = (
    "epochs",
    "no_components",
    "lr",
    "loss",
    "threads",
    "patience",
    "min_occ",
    "max_items",
    "topk_per_prof",
    "pair_topk",
    "val_baskets",
    "seed",
)
# DAG param -> GateConfig field (the `reco gate` flag); the gate's samples use the `seed` param.
GATE_PARAMS = {
    "gate_tolerance": "tolerance",
    "first_run_min_hit_at_10": "first_run_min_hit_at_10",
    "eval_samples": "n_samples",
    "profile": "profile",
}


@dag(
    dag_id="reco_training",
    description="warehouse -> data checks -> LightFM training -> gate -> promotion -> serving reload",
    schedule="@daily",
    start_date=datetime(2025, 1, 1, tzinfo=UTC),
    catchup=False,
    max_active_runs=1,  # two runs would race for run_current
    default_args=task_defaults(),
    params={
        # extraction
        "holdout_days": Param(
            30, type="integer", minimum=1, description="orders of the last N days: the gate's holdout"
        ),
        "min_pair_count": param_of(TrainConfig, "min_pair_count"),
        # data checks
        "row_count_band": Param(
            0.3,
            type="number",
            minimum=0,
            maximum=1,
            description="allowed relative change of each file's row count vs the last validated extraction",
        ),
        # training (reco train flags)
        **{name: param_of(TrainConfig, name) for name in TRAIN_FLAGS},
        "run_tag": param_of(TrainConfig, "run_tag", default="airflow", pattern=TAG_RE.pattern),
        # gate (reco gate flags), serving
        **{param: param_of(GateConfig, field) for param, field in GATE_PARAMS.items()},
        "serving_check_seconds": Param(
            30, type="integer", minimum=0, description="how long the API may take to switch"
        ),
        # QA
        "shuffle_training_baskets": Param(
            False,
            type="boolean",
            description="TEST/QA ONLY: relabel the training products at random; the gate must reject the run",
        ),
    },
    tags=["reco"],
    doc_md=__doc__,
)
def reco_training() -> None:
    @task(retries=2, retry_delay=timedelta(minutes=5))  # the warehouse is the one flaky dependency
    def extract(params: dict[str, Any], run_id: str) -> str:
        """Extract ventes, details, pairs and the holdout from the warehouse into this run's directory."""
        from reco_airflow import config, data
        from reco_core.warehouse.extract import extract as extract_warehouse

        out = config.run_data_dir(run_id)
        extract_warehouse(
            config.warehouse_url(),
            out,
            holdout_days=params["holdout_days"],
            min_pair_count=params["min_pair_count"],
        )
        if params["shuffle_training_baskets"]:
            count = data.shuffle_training_baskets(out, seed=params["seed"])
            log.info("QA shuffle_training_baskets: %d product ids relabelled at random in %s", count, out)
        return str(out)

    @task
    def validate(data_dir: str, params: dict[str, Any], run_id: str) -> None:
        """Data checks (Great Expectations suites, row counts within the band of the last extraction)."""
        from pathlib import Path

        from airflow.sdk.exceptions import AirflowFailException

        from reco_airflow import config, gx_checks

        root = config.data_dir()
        previous = gx_checks.read_validated(root)
        report = gx_checks.check_extraction(
            Path(data_dir),
            previous_rows=previous and previous["rows"],
            band=params["row_count_band"],
        )
        if not report.ok:
            raise AirflowFailException(report.summary())
        log.info("%s", report.summary())
        gx_checks.record_validated(root, report, run_id)

    @task
    def train(data_dir: str, params: dict[str, Any]) -> str:
        """Train LightFM and the pairs (TrainConfig from the params) into a new sealed run."""
        from pathlib import Path

        from reco_airflow import config
        from reco_core import columns as C
        from reco_core.training.pipeline import train as train_run

        extraction = Path(data_dir)
        cfg = TrainConfig(
            ventes=extraction / C.VENTES_FILE,
            details=extraction / C.DETAILS_FILE,
            pairs=extraction / C.PAIRS_FILE,
            artifact_root=config.artifact_root(),
            run_tag=params["run_tag"],
            **{name: params[name] for name in TRAIN_FLAGS},
        )
        return str(train_run(cfg))

    @task
    def verify(run_dir: str) -> None:
        """Verify the new run's manifest and contents (what `reco verify-artifacts` checks)."""
        from airflow.sdk.exceptions import AirflowFailException

        from reco_core.artifacts.verify import verify_run

        report = verify_run(run_dir)
        if not report.ok:
            raise AirflowFailException(f"{run_dir} fails verification: {report.summary()}")

    @task
    def evaluate(run_dir: str, data_dir: str, params: dict[str, Any]) -> dict[str, Any]:
        """Rank the holdout with the candidate and the served run (`reco gate`); write the HTML report."""
        from pathlib import Path

        from reco_airflow import config
        from reco_core import columns as C
        from reco_core.artifacts.store import current_run
        from reco_core.gate import judge

        root = config.artifact_root()
        gate_config = GateConfig(
            seed=params["seed"], **{field: params[param] for param, field in GATE_PARAMS.items()}
        )
        holdout = Path(data_dir) / C.HOLDOUT_FILE
        decision = judge(Path(run_dir), current_run(root), holdout, gate_config, root)
        log.info("%s\n%s", decision.headline(), decision.details())
        return decision.to_dict()

    @task
    def gate(decision: dict[str, Any], ti: RuntimeTaskInstanceProtocol) -> None:
        """Pass the candidate or stop the run before promotion; the verdict opens the log."""
        from airflow.sdk.exceptions import AirflowFailException

        from reco_airflow.links import REPORT_XCOM_KEY, report_uri
        from reco_core.gate import Decision

        verdict = Decision.from_dict(decision)
        # Logged first, whatever the verdict: the failure's traceback would bury it otherwise.
        log.info("%s\n%s", verdict.headline(), verdict.details())
        ti.xcom_push(REPORT_XCOM_KEY, report_uri(verdict.report))
        if not verdict.passed:
            raise AirflowFailException(verdict.message())

    @task
    def promote(run_dir: str, run_id: str) -> None:
        """Point run_current at the run that passed the gate (atomic, logged in promotions.jsonl)."""
        from pathlib import Path

        from reco_airflow import config
        from reco_core.artifacts.store import promote as promote_run

        entry = promote_run(
            config.artifact_root(),
            run_dir,
            actor=f"airflow:{run_id}",
            reason="reco_training: passed the gate",
        )
        name = Path(run_dir).name
        if entry:
            log.info("run_current: %s -> %s", entry.from_run, name)
        else:
            log.info("%s already was run_current", name)

    @task
    def reload_serving(run_dir: str, params: dict[str, Any], run_id: str) -> None:
        """POST /reload of the promoted run to the API of connection reco_serving (skipped without it)."""
        from pathlib import Path

        from reco_airflow import config, serving_client

        endpoint = config.serving_endpoint_or_skip()
        promoted = Path(run_dir).name
        try:
            answer = serving_client.reload(endpoint, promoted, params["profile"])
        except serving_client.ServingError as exc:
            serving_client.fail_and_roll_back(
                [str(exc)], config.artifact_root(), promoted, endpoint, params["profile"], f"airflow:{run_id}"
            )
        log.info("serving reloaded on %s in %s s", answer["run_id"], answer.get("seconds"))

    @task
    def check_serving(run_dir: str, params: dict[str, Any], run_id: str) -> None:
        """The API serves the promoted run and answers canary baskets, or the promotion is rolled back."""
        from pathlib import Path

        from reco_airflow import config, serving_client

        endpoint = config.serving_endpoint_or_skip()
        run = Path(run_dir)
        problems = serving_client.check_until_healthy(endpoint, run, params["serving_check_seconds"])
        if problems:
            serving_client.fail_and_roll_back(
                problems,
                config.artifact_root(),
                run.name,
                endpoint,
                params["profile"],
                f"airflow:{run_id}",
            )
        log.info("serving is healthy on %s", run.name)

    # Three groups, so the graph reads at the default zoom; task ids keep no group prefix (alerts,
    # logs, docs and `airflow tasks` commands name them as before).
    with TaskGroup("data", tooltip="warehouse extraction and data checks", prefix_group_id=False):
        data_dir = extract()
        checked = validate(data_dir)
    with TaskGroup("model", tooltip="training, verification, evaluation and gate", prefix_group_id=False):
        run_dir = train(data_dir)
        decision = evaluate(run_dir, data_dir)
        checked >> run_dir
        verify(run_dir) >> decision
        judged = gate(decision)
        judged.operator.operator_extra_links = (HtmlReportLink(),)
    with TaskGroup("release", tooltip="promotion, serving reload and check", prefix_group_id=False):
        judged >> promote(run_dir) >> reload_serving(run_dir) >> check_serving(run_dir)


reco_training()
