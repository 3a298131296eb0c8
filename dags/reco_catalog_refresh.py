"""reco_catalog_refresh: the catalogue state (branches, stock, delisted products), hourly.

extract -> validate -> verify -> promote -> prune

Apart from the model: the API follows `catalog_current` by itself (every RELOAD_CHECK_SECONDS)
and filters with the new state without retraining. `extract` calls reco_core.catalog.extract
(what `reco catalog extract` runs: agences.sql, stock.sql, statut_produits.sql) into a new
`catalog_*` directory of the artifact root; `validate` runs the Great Expectations suites
`catalog_products` and `catalog_branches` against it (row counts within a band around the state
in force); `verify` checks its manifest and contents; `promote` swaps `catalog_current`; `prune`
deletes the oldest states beyond `keep_states` (never the current or previous one). A state
that fails a check is never promoted: the previous one stays in force. A warehouse without
these tables skips the run (green, nothing filtered by the API, which says so). See
docs/airflow.md.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from airflow.sdk import Param, dag, task

from reco_airflow.alerts import task_defaults

log = logging.getLogger(__name__)


@dag(
    dag_id="reco_catalog_refresh",
    description="warehouse -> catalogue state (branches, stock, delisted) -> checks -> catalog_current",
    schedule="@hourly",
    start_date=datetime(2025, 1, 1, tzinfo=UTC),
    catchup=False,
    max_active_runs=1,  # two runs would race for catalog_current
    default_args=task_defaults(),
    params={
        "row_count_band": Param(
            0.2,
            type="number",
            minimum=0,
            maximum=1,
            description="allowed relative change of the products and branches counts vs the state in force",
        ),
        "keep_states": Param(
            48,
            type="integer",
            minimum=2,
            description="catalogue states kept on disk (two days of hourly runs)",
        ),
        "max_delisted_share": Param(
            0.5,
            type="number",
            minimum=0,
            maximum=1,
            description="more delisted products than this share is an extraction error",
        ),
    },
    tags=["reco"],
    doc_md=__doc__,
)
def reco_catalog_refresh() -> None:
    @task(retries=2, retry_delay=timedelta(minutes=2))  # the warehouse is the one flaky dependency
    def extract(run_id: str) -> str:
        """Extract branches, stock and product status from the warehouse into a new catalogue state."""
        from airflow.sdk.exceptions import AirflowSkipException

        from reco_airflow import config
        from reco_core.catalog.extract import NoCatalogTables, extract_catalog

        try:
            done = extract_catalog(config.warehouse_url(), config.artifact_root(), tag="airflow")
        except NoCatalogTables as exc:
            raise AirflowSkipException(str(exc)) from None
        log.info("catalogue state %s: %s", done.state_dir.name, done.counts)
        return str(done.state_dir)

    @task
    def validate(state_dir: str, params: dict[str, Any]) -> None:
        """Great Expectations checks of the new state (products, branches) against the state in force."""
        from pathlib import Path

        from airflow.sdk.exceptions import AirflowFailException

        from reco_airflow import config
        from reco_airflow.gx_checks import check_catalog
        from reco_core.artifacts.store import current_run
        from reco_core.catalog.layout import CATALOG

        try:
            previous = current_run(config.artifact_root(), CATALOG)
        except Exception:  # a broken catalog_current: no band, this state may repair it
            previous = None
        report = check_catalog(
            Path(state_dir),
            previous_dir=previous,
            band=params["row_count_band"],
            max_delisted_share=params["max_delisted_share"],
        )
        log.info("%s", report.summary())
        if not report.ok:
            raise AirflowFailException(report.summary())

    @task
    def verify(state_dir: str) -> None:
        """Check the state's manifest, dtypes, shapes and values."""
        from airflow.sdk.exceptions import AirflowFailException

        from reco_core.catalog.state import verify_catalog

        report = verify_catalog(state_dir)
        if not report.ok:
            raise AirflowFailException(f"{state_dir} fails verification: {report.summary()}")

    @task
    def promote(state_dir: str, run_id: str) -> None:
        """Swap catalog_current to the new state (the API follows it by itself)."""
        from reco_airflow import config
        from reco_core.artifacts.store import promote as promote_dir
        from reco_core.catalog.layout import CATALOG

        entry = promote_dir(
            config.artifact_root(),
            state_dir,
            actor=f"airflow:{run_id}",
            reason="reco_catalog_refresh",
            kind=CATALOG,
        )
        log.info("catalog_current: %s", entry.to_run if entry else "unchanged")

    @task
    def prune(params: dict[str, Any]) -> None:
        """Delete the oldest catalogue states beyond keep_states (never the current or previous one)."""
        from reco_airflow import config
        from reco_core.artifacts.store import cleanup
        from reco_core.catalog.layout import CATALOG

        result = cleanup(config.artifact_root(), params["keep_states"], kind=CATALOG)
        log.info("deleted %d catalogue states, kept %d", len(result.removed_runs), len(result.kept))

    state = extract()
    validate(state) >> verify(state) >> promote(state) >> prune()


reco_catalog_refresh()
