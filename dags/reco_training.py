"""reco_training: the daily pipeline from the warehouse to the serving API.

extract -> validate -> train -> verify -> evaluate -> gate -> promote -> reload_serving
-> check_serving

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

from datetime import UTC, datetime, timedelta
from typing import Any

from airflow.sdk import Param, dag, task

from reco_airflow.alerts import task_defaults
from reco_airflow.params import param_of
from reco_core.artifacts.layout import TAG_RE
from reco_core.gate import GateConfig
from reco_core.training.config import TrainConfig

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
            print(f"QA shuffle_training_baskets: {count} product ids relabelled at random in {out}")
        return str(out)

    @task
    def validate(data_dir: str, params: dict[str, Any], run_id: str) -> None:
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
        print(report.summary())
        gx_checks.record_validated(root, report, run_id)

    @task
    def train(data_dir: str, params: dict[str, Any]) -> str:
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
        from airflow.sdk.exceptions import AirflowFailException

        from reco_core.artifacts.verify import verify_run

        report = verify_run(run_dir)
        if not report.ok:
            raise AirflowFailException(f"{run_dir} fails verification: {report.summary()}")

    @task
    def evaluate(run_dir: str, data_dir: str, params: dict[str, Any]) -> dict[str, Any]:
        from pathlib import Path

        from reco_airflow import config
        from reco_core import columns as C
        from reco_core.artifacts.store import current_run
        from reco_core.gate import REPORT_LINE, judge

        root = config.artifact_root()
        gate_config = GateConfig(
            seed=params["seed"], **{field: params[param] for param, field in GATE_PARAMS.items()}
        )
        holdout = Path(data_dir) / C.HOLDOUT_FILE
        decision = judge(Path(run_dir), current_run(root), holdout, gate_config, root)
        print(f"{REPORT_LINE}{decision.report}")
        return decision.to_dict()

    @task
    def gate(decision: dict[str, Any]) -> None:
        from airflow.sdk.exceptions import AirflowFailException

        from reco_core.gate import Decision

        verdict = Decision.from_dict(decision)
        if not verdict.passed:
            raise AirflowFailException(verdict.message())
        print(verdict.message())

    @task
    def promote(run_dir: str, run_id: str) -> None:
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
        print(f"run_current: {entry.from_run} -> {name}" if entry else f"{name} already was run_current")

    @task
    def reload_serving(run_dir: str, params: dict[str, Any], run_id: str) -> None:
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
        print(f"serving reloaded on {answer['run_id']} in {answer.get('seconds')} s")

    @task
    def check_serving(run_dir: str, params: dict[str, Any], run_id: str) -> None:
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
        print(f"serving is healthy on {run.name}")

    data_dir = extract()
    run_dir = train(data_dir)
    decision = evaluate(run_dir, data_dir)
    validate(data_dir) >> run_dir
    verify(run_dir) >> decision
    gate(decision) >> promote(run_dir) >> reload_serving(run_dir) >> check_serving(run_dir)


reco_training()
