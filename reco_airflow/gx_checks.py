"""Data-quality checks of an extraction with Great Expectations 1.x, before anything is trained.

The Great Expectations Airflow provider cannot be installed beside Airflow 3.3 (it pins an old
structlog), so GX is called directly: an ephemeral context, a pandas data source, one
whole-dataframe batch per dataset, and the suites of `reco_airflow/expectations/*.json` (edited by
people, loaded with `gx.ExpectationSuite(**json.load(f))`). They are this package's data, found with
importlib.resources: the same way from a wheel, an editable install or an image.

Files are read raw with pyarrow, not through reco_core.contract: the contract readers repair
and drop bad rows, which would hide exactly what these checks exist to catch. Integer columns
become pandas' nullable Int64 (a null id stays visible as a null, not as a float NaN).

What no static suite can know is passed as suite parameters:
- `min_rows` / `max_rows`: a band of +-`row_band` around the row counts of the previous
  extraction that passed these checks (first run: no band, only the suites' fixed minimums);
- `catalogue_ids`: the ID_PRODUIT of the catalogue, for the pairs' product ids.
Two derived columns let the ventes suite check the product lists, which GX cannot look into:
NB_PRODUITS (list length) and NB_PRODUITS_HORS_CATALOGUE (ids missing from the catalogue).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

SUITES = resources.files(__package__) / "expectations"
DATASETS = ("ventes", "details", "pairs")
EXAMPLES = 5  # unexpected values quoted per failed expectation


@dataclass(frozen=True)
class Failure:
    """One failed expectation, as a person reads it in the log and the alert."""

    dataset: str
    expectation: str
    column: str | None
    detail: str


@dataclass
class DataCheckReport:
    data_dir: str
    rows: dict[str, int]
    evaluated: int = 0
    failures: list[Failure] = field(default_factory=list)
    band: dict[str, list[int | None]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.failures

    def summary(self) -> str:
        head = (
            f"data checks {'passed' if self.ok else 'FAILED'}: {len(self.failures)} of {self.evaluated} "
            f"expectations failed on {', '.join(f'{k} ({v:,} rows)' for k, v in self.rows.items())}\n"
            f"data: {self.data_dir}"
        )
        if self.ok:
            return head
        width = max(len(f.expectation) for f in self.failures)
        lines = [
            f"  {f.dataset:<8} {f.expectation:<{width}}  {f.column or '-'}: {f.detail}" for f in self.failures
        ]
        return head + "\n" + "\n".join(lines)


def file_of(dataset: str) -> str:
    from reco_core import columns as C

    return {"ventes": C.VENTES_FILE, "details": C.DETAILS_FILE, "pairs": C.PAIRS_FILE}[dataset]


def load_suite(dataset: str, suites: Traversable = SUITES):
    import great_expectations as gx

    return gx.ExpectationSuite(**json.loads((suites / f"{dataset}.json").read_text(encoding="utf-8")))


def read_frames(data_dir: Path) -> dict[str, Any]:
    """The three datasets as pandas frames, raw, with ventes' derived columns."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from reco_core import columns as C

    def ints_nullable(arrow_type: pa.DataType) -> Any:
        return pd.Int64Dtype() if pa.types.is_integer(arrow_type) else None

    tables = {name: pq.read_table(data_dir / file_of(name)) for name in DATASETS}
    details, ventes = tables["details"], tables["ventes"]
    has_ids = C.ID_PRODUIT in details.column_names
    catalogue = details.column(C.ID_PRODUIT).drop_null() if has_ids else pa.array([], pa.int64())
    if C.LIST_ID_PRODUITS in ventes.column_names:
        lists = ventes.column(C.LIST_ID_PRODUITS).combine_chunks()
        unknown = pc.invert(pc.fill_null(pc.is_in(lists.flatten(), value_set=catalogue), False))
        parents = pc.list_parent_indices(lists).to_numpy()
        per_row = np.bincount(parents, weights=unknown.to_numpy(zero_copy_only=False), minlength=len(lists))
        ventes = ventes.append_column("NB_PRODUITS", pc.fill_null(pc.list_value_length(lists), 0))
        ventes = ventes.append_column("NB_PRODUITS_HORS_CATALOGUE", pa.array(per_row.astype(np.int64)))
        tables["ventes"] = ventes
    frames = {name: table.to_pandas(types_mapper=ints_nullable) for name, table in tables.items()}
    frames["catalogue_ids"] = sorted(int(i) for i in catalogue.to_pylist())
    return frames


def row_band(
    previous_rows: dict[str, int] | None, band: float, datasets: tuple[str, ...] = DATASETS
) -> dict[str, tuple[int, int | None]]:
    """(min_rows, max_rows) per dataset: +-band around the previous validated counts, else (0, None)."""
    if not previous_rows:
        return dict.fromkeys(datasets, (0, None))
    return {
        name: (math.floor(previous_rows[name] * (1 - band)), math.ceil(previous_rows[name] * (1 + band)))
        if name in previous_rows
        else (0, None)
        for name in datasets
    }


def _pandas_source(name: str) -> Any:
    """A pandas data source of an ephemeral Great Expectations context, without progress bars."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)  # no tqdm bars in task logs
    return context.data_sources.add_pandas(name)


def _validate(
    source: Any,
    report: DataCheckReport,
    name: str,
    frame: Any,
    parameters: dict[str, Any],
    previous_rows: dict[str, int] | None,
    suites: Traversable,
) -> None:
    """Run suite `name` on `frame` as one whole-dataframe batch; its failures go to `report`."""
    batch = (
        source.add_dataframe_asset(name)
        .add_batch_definition_whole_dataframe("whole")
        .get_batch(batch_parameters={"dataframe": frame})
    )
    result = batch.validate(
        load_suite(name, suites), expectation_parameters=parameters, result_format="SUMMARY"
    )
    report.evaluated += len(result.results)
    columns = set(frame.columns)
    report.failures += [_failure(name, r, columns, previous_rows) for r in result.results if not r.success]


def check_extraction(
    data_dir: Path, *, previous_rows: dict[str, int] | None, band: float, suites: Traversable = SUITES
) -> DataCheckReport:
    """Run the three suites on the extraction in `data_dir` (see the module doc)."""
    frames = read_frames(data_dir)
    bands = row_band(previous_rows, band)
    source = _pandas_source("reco_extraction")
    report = DataCheckReport(str(data_dir), {name: len(frames[name]) for name in DATASETS})
    for name in DATASETS:
        low, high = bands[name]
        report.band[name] = [low, high]
        parameters = {"min_rows": low, "max_rows": high, "catalogue_ids": frames["catalogue_ids"]}
        _validate(source, report, name, frames[name], parameters, previous_rows, suites)
    return report


def _failure(dataset: str, result: Any, columns: set[str], previous_rows: dict[str, int] | None) -> Failure:
    """What went wrong, in numbers: observed vs expected, how many rows, a few distinct examples."""
    config, outcome = result.expectation_config, result.result or {}
    kwargs, column = config.kwargs, config.kwargs.get("column")
    info = result.exception_info or {}
    if column is not None and column not in columns:
        detail = "column missing from the file"
    elif info.get("raised_exception"):
        message = str(info.get("exception_message") or "?").splitlines()[0]
        detail = f"could not run: {message}"
    elif "unexpected_count" in outcome:
        examples = list(dict.fromkeys(_plain(v) for v in outcome.get("partial_unexpected_list") or []))
        detail = (
            f"{outcome['unexpected_count']:,} of {outcome.get('element_count', 0):,} rows unexpected "
            f"({outcome.get('unexpected_percent') or 0:.2f} %), e.g. {examples[:EXAMPLES]}"
        )
    elif config.type == "expect_table_row_count_to_be_between":
        low, high = kwargs.get("min_value"), kwargs.get("max_value")
        upper = "" if high is None else f"{high:,}"
        detail = f"{outcome.get('observed_value', 0):,} rows, expected {low or 0:,}..{upper}"
        if previous_rows and dataset in previous_rows:
            detail += f" (previous validated extraction: {previous_rows[dataset]:,} rows)"
    else:
        expected = {k: _plain(v) for k, v in kwargs.items() if k not in ("batch_id", "column")}
        detail = f"observed {_plain(outcome.get('observed_value'))}, expected {expected}"
    return Failure(dataset, config.type, column, detail)


def _plain(value: Any) -> Any:
    """numpy scalars as Python numbers, so summaries print `[999]`, not `[np.int64(999)]`."""
    return value.item() if hasattr(value, "item") else value


# --- the previous validated extraction -------------------------------------------------------
STATE_FILE = "last_validated_extraction.json"


def read_validated(data_dir: Path) -> dict[str, Any] | None:
    """The last extraction that passed the checks (dag_run_id, data_dir, rows), None before the first one."""
    try:
        return json.loads((data_dir / STATE_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None


def record_validated(data_dir: Path, report: DataCheckReport, dag_run_id: str) -> None:
    """Written only after the checks pass: the reference of the next run's row-count band."""
    from datetime import UTC, datetime

    from reco_core.fsutil import atomic_write_text

    state = {
        "dag_run_id": dag_run_id,
        "data_dir": report.data_dir,
        "validated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "rows": report.rows,
    }
    atomic_write_text(data_dir / STATE_FILE, json.dumps(state, indent=2) + "\n")


# --- the catalogue state (reco_catalog_refresh) ------------------------------------------------
CATALOG_DATASETS = ("catalog_products", "catalog_branches")


def catalog_frames(state_dir: Path) -> dict[str, Any]:
    """The products and the branches of a catalogue state as frames the suites read: ids,
    delisted flags, and per branch how many products it can sell."""
    import numpy as np
    import pandas as pd

    from reco_core.catalog.state import load_catalog

    state = load_catalog(state_dir)
    sellable = np.unpackbits(np.asarray(state.bits), axis=1, bitorder="little", count=state.n_products)
    sellable &= (np.asarray(state.delisted) == 0).astype(np.uint8)[None, :]
    return {
        "catalog_products": pd.DataFrame(
            {"ID_PRODUIT": np.asarray(state.product_ids), "DEREFERENCE": np.asarray(state.delisted, np.int64)}
        ),
        "catalog_branches": pd.DataFrame(
            {
                "ID_AGENCE": np.asarray(state.branch_ids),
                "NB_DISPONIBLES": sellable.sum(axis=1).astype(np.int64),
            }
        ),
    }


def check_catalog(
    state_dir: Path,
    *,
    previous_dir: Path | None,
    band: float,
    max_delisted_share: float,
    suites: Traversable = SUITES,
) -> DataCheckReport:
    """Run the catalogue suites on a new state; the row bands are around `previous_dir` (the
    state in force), none for a first state."""
    frames = catalog_frames(state_dir)
    previous = None
    if previous_dir is not None:
        previous = {name: len(frame) for name, frame in catalog_frames(previous_dir).items()}
    bands = row_band(previous, band, CATALOG_DATASETS)
    (low_p, high_p), (low_b, high_b) = bands["catalog_products"], bands["catalog_branches"]
    parameters = {
        "min_rows": low_p,
        "max_rows": high_p,
        "min_branches": low_b,
        "max_branches": high_b,
        "max_delisted_share": max_delisted_share,
    }
    source = _pandas_source("reco_catalog")
    report = DataCheckReport(str(state_dir), {name: len(frames[name]) for name in CATALOG_DATASETS})
    for name in CATALOG_DATASETS:
        report.band[name] = list(bands[name])
        _validate(source, report, name, frames[name], parameters, previous, suites)
    return report
