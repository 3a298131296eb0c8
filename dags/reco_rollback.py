"""reco_rollback (manual): put a previous run back in production and reload the serving API.

rollback_run -> reload_serving

`target_run` empty: the run that was current before the current one (from promotions.jsonl,
skipping runs that were rolled back away from); else that run, which must still exist and verify.
The serving API is then reloaded on it and checked like after a promotion (skipped without the
`reco_serving` connection). See docs/airflow.md.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from airflow.sdk import Param, dag, task

from reco_airflow.alerts import task_defaults
from reco_core.ranking import DEFAULT_PROFILE

log = logging.getLogger(__name__)


@dag(
    dag_id="reco_rollback",
    description="run_current back to the previous (or a named) run, then serving reload",
    schedule=None,
    start_date=datetime(2025, 1, 1, tzinfo=UTC),
    catchup=False,
    max_active_runs=1,
    default_args=task_defaults(),
    params={
        "target_run": Param(
            "",
            type="string",
            pattern="^(run_[A-Za-z0-9_.-]+)?$",
            description="run_YYYYMMDD_HHMMSS[_tag] to put back; empty: the previous run",
        ),
        "profile": Param(DEFAULT_PROFILE, type="string", description="ranking profile the API reloads with"),
        "serving_check_seconds": Param(
            30, type="integer", minimum=0, description="how long the API may take to switch"
        ),
    },
    tags=["reco"],
    doc_md=__doc__,
)
def reco_rollback() -> None:
    @task
    def rollback_run(params: dict[str, Any], run_id: str) -> str:
        """Put run_current back on the named run, or on the previous one (logged in promotions.jsonl)."""
        from reco_airflow import config
        from reco_core.artifacts.store import current_run, rollback

        root = config.artifact_root()
        before = current_run(root)
        rollback(root, to=params["target_run"] or None, actor=f"airflow:{run_id}", reason="reco_rollback DAG")
        after = current_run(root)
        log.info("run_current: %s -> %s", before.name if before else None, after.name)
        return after.name

    @task
    def reload_serving(run: str, params: dict[str, Any]) -> None:
        """Reload the API of connection reco_serving on that run and check it (skipped without it)."""
        from airflow.sdk.exceptions import AirflowFailException

        from reco_airflow import config, serving_client

        endpoint = config.serving_endpoint_or_skip()
        try:
            serving_client.reload(endpoint, run, params["profile"])
        except serving_client.ServingError as exc:
            raise AirflowFailException(
                f"run_current is {run}, but serving did not reload it: {exc}"
            ) from None
        problems = serving_client.check_until_healthy(
            endpoint, config.artifact_root() / run, params["serving_check_seconds"]
        )
        if problems:
            raise AirflowFailException(
                "\n".join([f"run_current is {run}, but serving is not healthy on it:", *problems])
            )
        log.info("serving is healthy on %s", run)

    reload_serving(rollback_run())


reco_rollback()
