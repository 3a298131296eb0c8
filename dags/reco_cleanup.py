"""reco_cleanup (manual): retention of runs, their evaluation documents and per-run extractions.

cleanup_runs, prune_data (independent)

Runs: the `keep` newest are kept, and never the current or the previous one whatever `keep`
says (reco_core's cleanup, the `reco cleanup` command). Evaluation documents of deleted runs go
with them. Extractions: the `keep_data_dirs` newest per-run directories are kept, and never the
one the data checks use as their row-count reference. `dry_run` lists without deleting.
See docs/airflow.md.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from airflow.sdk import Param, dag, task

from reco_airflow.alerts import task_defaults

log = logging.getLogger(__name__)


@dag(
    dag_id="reco_cleanup",
    description="delete old runs (never current/previous) and old per-run extractions",
    schedule=None,
    start_date=datetime(2025, 1, 1, tzinfo=UTC),
    catchup=False,
    max_active_runs=1,
    default_args=task_defaults(),
    params={
        "keep": Param(
            5, type="integer", minimum=0, description="newest runs kept (current and previous always are)"
        ),
        "keep_data_dirs": Param(
            7, type="integer", minimum=1, description="newest per-run extraction directories kept"
        ),
        "dry_run": Param(False, type="boolean", description="only list what would be deleted"),
    },
    tags=["reco"],
    doc_md=__doc__,
)
def reco_cleanup() -> None:
    @task
    def cleanup_runs(params: dict[str, Any]) -> list[str]:
        """Delete the old runs (never the current or previous one) and their evaluations."""
        from reco_airflow import config
        from reco_core import gate
        from reco_core.artifacts.store import cleanup

        root = config.artifact_root()
        result = cleanup(root, params["keep"], dry_run=params["dry_run"])
        documents = gate.prune_evaluations(root, dry_run=params["dry_run"])
        verb = "would delete" if params["dry_run"] else "deleted"
        removed, kept = len(result.removed_runs), len(result.kept)
        log.info("%s %d run(s) and %d evaluation(s); %d run(s) kept", verb, removed, len(documents), kept)
        for path in [*result.removed_runs, *documents]:
            log.info("  %s %s", verb, path)
        return [path.name for path in result.removed_runs]

    @task
    def prune_data(params: dict[str, Any]) -> list[str]:
        """Delete the old per-run extractions (never the data checks' reference)."""
        from pathlib import Path

        from reco_airflow import config, data, gx_checks

        root = config.data_dir()
        reference = gx_checks.read_validated(root)
        protected = {Path(reference["data_dir"])} if reference else set()
        doomed = data.prune_run_data(root, params["keep_data_dirs"], protected, dry_run=params["dry_run"])
        verb = "would delete" if params["dry_run"] else "deleted"
        log.info("%s %d extraction director%s", verb, len(doomed), "y" if len(doomed) == 1 else "ies")
        for path in doomed:
            log.info("  %s %s", verb, path)
        return [path.name for path in doomed]

    cleanup_runs()
    prune_data()


reco_cleanup()
