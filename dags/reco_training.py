"""reco_training: the daily pipeline from the warehouse to the serving API.

extract -> validate -> train -> precompute -> verify -> evaluate -> gate -> promote
-> reload_serving -> check_serving

Each task calls the reco_core function the `reco` CLI calls, or a helper of
reco_airflow for what is Airflow's business (connections, the HTTP calls to the API,
the data checks, alerts). Tasks hand a small dict of paths down the chain through XCom, never
data. A data check failure stops the run before training; a regression beyond the gate's
tolerance stops it before promotion; an API that does not come up healthy on the promoted run
gets run_current rolled back. Every failed task e-mails an alert saying why. See docs/airflow.md.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from airflow.sdk import Param, dag, task

from reco_airflow.alerts import task_defaults
from reco_core.ranking import DEFAULT_PROFILE

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
State = dict[str, Any]  # what flows down the chain: data_dir, rows, run, evaluation, report


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
        "min_pair_count": Param(
            1, type="integer", minimum=1, description="drop pairs bought together fewer times"
        ),
        # data checks
        "row_count_band": Param(
            0.3,
            type="number",
            minimum=0,
            maximum=1,
            description="allowed relative change of each file's row count vs the last validated extraction",
        ),
        # training (reco train flags)
        "epochs": Param(30, type="integer", minimum=1),
        "no_components": Param(64, type="integer", minimum=2),
        "lr": Param(0.05, type="number", exclusiveMinimum=0),
        "loss": Param("warp", enum=["warp", "bpr", "logistic", "warp-kos"]),
        "threads": Param(8, type="integer", minimum=1, description="capped at the CPU count"),
        "patience": Param(
            5, type="integer", minimum=1, description="epochs without validation gain before stopping"
        ),
        "min_occ": Param(1, type="integer", minimum=1),
        "max_items": Param(0, type="integer", minimum=0, description="0 = no cap"),
        "topk_per_prof": Param(3000, type="integer", minimum=1),
        "pair_topk": Param(500, type="integer", minimum=1),
        "val_baskets": Param(2000, type="integer", minimum=0),
        "seed": Param(42, type="integer"),
        "run_tag": Param("airflow", type="string", pattern="^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"),
        # gate, serving
        "gate_tolerance": Param(
            0.05,
            type="number",
            minimum=0,
            exclusiveMaximum=1,
            description="relative drop of hit@10 and mrr@10 allowed against the production run",
        ),
        "first_run_min_hit_at_10": Param(
            0.05, type="number", minimum=0, maximum=1, description="floor without run_current"
        ),
        "eval_samples": Param(
            10000, type="integer", minimum=100, description="holdout samples ranked by the gate"
        ),
        "profile": Param(DEFAULT_PROFILE, type="string", description="ranking profile: evaluated and served"),
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
    def extract(params: dict[str, Any], run_id: str) -> State:
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
        return {"data_dir": str(out)}

    @task
    def validate(state: State, params: dict[str, Any], run_id: str) -> State:
        from pathlib import Path

        from airflow.sdk.exceptions import AirflowFailException

        from reco_airflow import config, gx_checks

        root = config.data_dir()
        previous = gx_checks.read_validated(root)
        report = gx_checks.check_extraction(
            Path(state["data_dir"]),
            previous_rows=previous and previous["rows"],
            band=params["row_count_band"],
        )
        if not report.ok:
            raise AirflowFailException(report.summary())
        print(report.summary())
        gx_checks.record_validated(root, report, run_id)
        return state | {"rows": report.rows}

    @task
    def train(state: State, params: dict[str, Any]) -> State:
        from pathlib import Path

        from reco_airflow import config
        from reco_core import columns as C
        from reco_core.training.config import TrainConfig
        from reco_core.training.pipeline import train as train_run

        data_dir = Path(state["data_dir"])
        cfg = TrainConfig(
            ventes=data_dir / C.VENTES_FILE,
            details=data_dir / C.DETAILS_FILE,
            pairs=data_dir / C.PAIRS_FILE,
            artifact_root=config.artifact_root(),
            run_tag=params["run_tag"],
            **{name: params[name] for name in TRAIN_FLAGS},
        )
        return state | {"run": str(train_run(cfg))}

    @task
    def precompute(state: State) -> State:
        from reco_core.training.precompute import save_precomputed

        save_precomputed(state["run"])
        return state

    @task
    def verify(state: State) -> State:
        from airflow.sdk.exceptions import AirflowFailException

        from reco_core.artifacts.verify import verify_run

        report = verify_run(state["run"])
        if not report.ok:
            raise AirflowFailException(f"{state['run']} fails verification: {report.summary()}")
        return state

    @task
    def evaluate(state: State, params: dict[str, Any]) -> State:
        from pathlib import Path

        from reco_airflow import config, gate
        from reco_core import columns as C
        from reco_core.artifacts.store import current_run

        root = config.artifact_root()
        settings = gate.GateSettings(
            tolerance=params["gate_tolerance"],
            first_run_floor=params["first_run_min_hit_at_10"],
            profile=params["profile"],
            n_samples=params["eval_samples"],
            seed=params["seed"],
        )
        reference = current_run(root)
        holdout = Path(state["data_dir"]) / C.HOLDOUT_FILE
        decision = gate.evaluate_candidate(Path(state["run"]), reference, holdout, settings, root)
        print(f"{gate.REPORT_LINE}{decision['report']}")
        return state | {"evaluation": decision["path"], "report": decision["report"]}

    @task
    def gate(state: State) -> State:
        from pathlib import Path

        from airflow.sdk.exceptions import AirflowFailException

        from reco_airflow.gate import REPORT_LINE, read_decision

        decision = read_decision(Path(state["evaluation"]))
        report = f"{REPORT_LINE}{state['report']}"  # the alert mail links it
        if not decision["passed"]:
            candidate = Path(state["run"]).name
            headline = f"candidate {candidate} rejected by the gate ({decision['rule']}); nothing promoted"
            raise AirflowFailException(f"{headline}\n{report}\n\n{decision['table']}")
        print(f"{report}\n\n{decision['table']}")
        return state

    @task
    def promote(state: State, run_id: str) -> State:
        from pathlib import Path

        from reco_airflow import config
        from reco_core.artifacts.store import promote as promote_run

        entry = promote_run(
            config.artifact_root(),
            state["run"],
            actor=f"airflow:{run_id}",
            reason="reco_training: passed the gate",
        )
        name = Path(state["run"]).name
        print(f"run_current: {entry.from_run} -> {name}" if entry else f"{name} already was run_current")
        return state

    @task
    def reload_serving(state: State, params: dict[str, Any], run_id: str) -> State:
        from pathlib import Path

        from reco_airflow import config, serving_client

        endpoint = config.serving_endpoint_or_skip()
        promoted = Path(state["run"]).name
        try:
            answer = serving_client.reload(endpoint, promoted, params["profile"])
        except serving_client.ServingError as exc:
            serving_client.fail_and_roll_back(
                [str(exc)], config.artifact_root(), promoted, endpoint, params["profile"], f"airflow:{run_id}"
            )
        print(f"serving reloaded on {answer['run_id']} in {answer.get('seconds')} s")
        return state

    @task
    def check_serving(state: State, params: dict[str, Any], run_id: str) -> None:
        from pathlib import Path

        from reco_airflow import config, serving_client

        endpoint = config.serving_endpoint_or_skip()
        run_dir = Path(state["run"])
        problems = serving_client.check_until_healthy(endpoint, run_dir, params["serving_check_seconds"])
        if problems:
            serving_client.fail_and_roll_back(
                problems,
                config.artifact_root(),
                run_dir.name,
                endpoint,
                params["profile"],
                f"airflow:{run_id}",
            )
        print(f"serving is healthy on {run_dir.name}")

    check_serving(reload_serving(promote(gate(evaluate(verify(precompute(train(validate(extract())))))))))


reco_training()
