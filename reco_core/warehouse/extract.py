"""`reco data`: warehouse -> the contract Parquet files, the holdout and extraction.json.

Two queries (reco_core/warehouse/sql/*.sql, adaptable): order lines and the product catalogue.
Lines are streamed in chunks into compact numpy arrays, assembled into baskets, split into
training and holdout, grouped into identical (profession, basket) rows, and the co-purchase pairs
are counted per profession from the training baskets.

Why pairs come from the same lines and not from a self-join in the warehouse: the self-join
costs O(sum of squared basket sizes) rows on the server (and over the network), and it would
count the held-out orders, which the offline evaluation and the promotion gate must never have
trained on. Counting from the training baskets is one sparse product per profession
(see reco_core.warehouse.baskets).

Holdout rules: `holdout_days` keeps the orders dated within the last N days of the data's latest
date out of training (undated orders stay in training); `holdout_frac` holds out a seeded share
chosen by a hash of the order id (for sources without dates). The same warehouse gives the same
files from PostgreSQL, MariaDB or SQLite: every output is sorted by values (ventes by profession
then first order id, details by product, pairs by profession, A, B), never by arrival order.

Every file is written under a temporary name and all are renamed at the end, extraction.json
last; an error leaves the previous extraction untouched and no partial file.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import logging
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import sqlalchemy as sa

from reco_core import __version__, logs
from reco_core import columns as C
from reco_core.contract import (
    COMPRESSION,
    DETAILS,
    DETAILS_SCHEMA,
    HOLDOUT_SCHEMA,
    PAIRS_SCHEMA,
    VENTES_SCHEMA,
    conform,
    write_parquet,
)
from reco_core.errors import DataContractError, RecoError
from reco_core.fsutil import atomic_path, temporary_prefix
from reco_core.warehouse import baskets as B
from reco_core.warehouse import queries as Q
from reco_core.warehouse.connect import mask, open_warehouse

log = logs.get_logger("warehouse.extract")

DEFAULT_CHUNK_ROWS = 200_000


@dataclass
class ExtractionSummary:
    """What extraction.json records; the data checks compare it with the previous extraction."""

    warehouse: str
    out_dir: str
    window: dict[str, str | None]
    holdout: dict[str, Any]
    min_pair_count: int
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    timings_s: dict[str, float] = field(default_factory=dict)
    created_at: str = ""
    reco_version: str = __version__

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True) + "\n"


class _Stopwatch:
    """Seconds per step, for extraction.json."""

    def __init__(self) -> None:
        self.timings: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, step: str) -> None:
        now = time.perf_counter()
        self.timings[step] = round(now - self._last, 3)
        self._last = now


@dataclass
class _Lines:
    """The streamed ventes query, as growing lists of numpy chunks."""

    order: list[np.ndarray] = field(default_factory=list)
    product: list[np.ndarray] = field(default_factory=list)
    run_order: list[np.ndarray] = field(default_factory=list)
    run_date: list[np.ndarray] = field(default_factory=list)
    run_profession: list[np.ndarray] = field(default_factory=list)
    professions: dict[str, int] = field(default_factory=dict)
    rows: int = 0
    dropped: int = 0


def _days(values: list[Any], query: Q.Query) -> np.ndarray:
    try:
        stamps = pd.to_datetime(pd.Series(values, dtype=object))
    except (ValueError, TypeError) as exc:
        raise DataContractError(f"{query.name}: column {Q.ORDER_DATE} is not a date ({exc})") from None
    if stamps.dt.tz is not None:
        stamps = stamps.dt.tz_localize(None)
    return stamps.to_numpy(dtype="datetime64[D]")


def _profession_codes(values: list[Any], codes: dict[str, int]) -> np.ndarray:
    """Codes of the professions (null or empty -> DEFAULT_PROFESSION), growing `codes`."""
    out = np.empty(len(values), dtype=np.int32)
    for i, value in enumerate(values):
        name = str(value) if value not in (None, "") else C.DEFAULT_PROFESSION
        out[i] = codes.setdefault(name, len(codes))
    return out


def _read_lines(
    conn: sa.Connection, query: Q.Query, since, until, chunk_rows: int, *, need_dates: bool
) -> _Lines:
    before = until + dt.timedelta(days=1) if until else None
    statement, params = Q.window_statement(query, since, before)
    required = Q.VENTES_REQUIRED + ((Q.ORDER_DATE,) if need_dates else ())
    names, chunks = Q.stream(conn, query, statement, params, required, chunk_rows)
    i_order, i_prof, i_product = (names.index(col) for col in Q.VENTES_REQUIRED)
    i_date = names.index(Q.ORDER_DATE) if Q.ORDER_DATE in names else None
    lines = _Lines()
    start, last_order = time.perf_counter(), None
    for rows in chunks:
        cols = list(zip(*rows, strict=True))
        order = Q.arrow_column(cols[i_order], pa.int64(), query, Q.ORDER_ID)
        product = Q.arrow_column(cols[i_product], pa.int64(), query, Q.PRODUCT_ID)
        has_order = pc.is_valid(order).to_numpy(zero_copy_only=False)
        valid = has_order & pc.is_valid(product).to_numpy(zero_copy_only=False)
        order_np = order.fill_null(0).to_numpy()
        # A run starts where the order id changes (also across chunk boundaries).
        run = np.ones(len(order_np), dtype=bool)
        run[1:] = order_np[1:] != order_np[:-1]
        run[0] = order_np[0] != last_order
        run &= has_order
        at = np.flatnonzero(run)
        lines.run_order.append(order_np[at])
        lines.run_profession.append(_profession_codes([cols[i_prof][j] for j in at], lines.professions))
        dates = _days([cols[i_date][j] for j in at], query) if i_date is not None else np.full(len(at), "NaT")
        lines.run_date.append(dates.astype("datetime64[D]"))
        lines.order.append(order_np[valid])
        lines.product.append(product.fill_null(0).to_numpy()[valid])
        lines.rows += len(rows)
        lines.dropped += int(len(rows) - valid.sum())
        last_order = order_np[-1]
        elapsed = time.perf_counter() - start
        logs.event(log, "ventes chunk", rows=lines.rows, rows_per_s=round(lines.rows / max(elapsed, 1e-9)))
    return lines


def _read_details(conn: sa.Connection, query: Q.Query, chunk_rows: int) -> pa.Table:
    statement = sa.text(query.sql)
    wanted = {f.name.lower(): f for f in DETAILS_SCHEMA}  # aliases are the contract names in lower case
    names, chunks = Q.stream(conn, query, statement, {}, [c.lower() for c in C.DETAILS_REQUIRED], chunk_rows)
    parts = []
    for rows in chunks:
        cols = list(zip(*rows, strict=True))
        arrays = {
            wanted[name].name: Q.arrow_column(cols[i], wanted[name].type, query, name)
            for i, name in enumerate(names)
            if name in wanted
        }
        parts.append(pa.table(arrays))
    present = [wanted[name].name for name in names if name in wanted]
    table = pa.concat_tables(parts) if parts else DETAILS_SCHEMA.empty_table().select(present)
    ids = table.column(C.ID_PRODUIT).drop_null().to_numpy()
    unique, counts = np.unique(ids, return_counts=True)
    if (counts > 1).any():
        raise DataContractError(
            f"{query.name}: {int((counts > 1).sum())} product ids appear more than once "
            f"(e.g. {int(unique[counts > 1][0])}); one row per product is expected"
        )
    return conform(table, DETAILS, query.name).sort_by(C.ID_PRODUIT)


def _concat(chunks: list[np.ndarray], dtype: Any) -> np.ndarray:
    """One array from the chunks; the list is emptied so that the chunks are freed right away."""
    out = np.concatenate(chunks).astype(dtype, copy=False) if chunks else np.zeros(0, dtype)
    chunks.clear()
    return out


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _check_arguments(
    since: dt.date | None,
    until: dt.date | None,
    holdout_days: int,
    holdout_frac: float,
    min_pair_count: int,
    chunk_rows: int,
) -> None:
    if holdout_days < 0 or not 0.0 <= holdout_frac < 1.0:
        raise RecoError("--holdout-days must be >= 0 and --holdout-frac in [0, 1)", exit_code=2)
    if holdout_days and holdout_frac:
        raise RecoError("choose one holdout rule: --holdout-days or --holdout-frac, not both", exit_code=2)
    if since and until and since > until:
        raise RecoError(f"--since {since} is after --until {until}", exit_code=2)
    if min_pair_count < 1 or chunk_rows < 1:
        raise RecoError("--min-pair-count and --chunk-rows must be >= 1", exit_code=2)


def _split_holdout(
    baskets: B.Baskets, days: int, fraction: float, seed: int, source: str
) -> tuple[np.ndarray, dict[str, Any]]:
    """The held-out orders (boolean mask) and the rule as recorded in extraction.json."""
    rule: dict[str, Any] = {"rule": "none", "seed": seed}
    if days:
        known = ~np.isnat(baskets.date)
        if not known.any():
            raise DataContractError(
                f"{source}: --holdout-days needs order dates but every {Q.ORDER_DATE} is null "
                "(use --holdout-frac)"
            )
        held, cut = B.holdout_by_days(baskets, days)
        latest = str(baskets.date[known].max())
        rule |= {"rule": "days", "days": days, "latest_date": latest, "cut_date": str(cut)}
        if held.all():
            raise DataContractError(
                f"--holdout-days {days} holds out every order (latest order date {latest})"
            )
    elif fraction:
        held = B.holdout_by_fraction(baskets, fraction, seed)
        rule |= {"rule": "fraction", "fraction": fraction}
        if held.all():
            raise DataContractError(f"--holdout-frac {fraction} holds out every order")
    else:
        held = np.zeros(len(baskets), dtype=bool)
    if rule["rule"] != "none" and not held.any():
        logs.event(log, "holdout rule selected no order", level=logging.WARNING, **rule)
    return held, rule


def _remove_leftovers(out_dir: Path) -> None:
    """Delete the temporary files of an extraction killed before renaming them (SIGKILL, OOM, power
    cut): full-size copies that nothing reads and nothing else would ever remove. One extraction
    writes a directory at a time (a concurrent one would lose its temporary files and fail)."""
    names = (C.VENTES_FILE, C.DETAILS_FILE, C.HOLDOUT_FILE, C.PAIRS_FILE, C.EXTRACTION_SUMMARY_FILE)
    if out_dir.is_dir():
        for name in names:
            for path in out_dir.glob(f"{temporary_prefix(name)}*"):
                path.unlink(missing_ok=True)


def _write_files(
    out_dir: Path,
    tables: list[tuple[str, pa.Table, pa.Schema]],
    train: B.Grouped,
    professions: list[str],
    min_pair_count: int,
    summary: ExtractionSummary,
    watch: _Stopwatch,
) -> None:
    """Write every file under a temporary name; rename them all (extraction.json last) on success."""
    _remove_leftovers(out_dir)
    with contextlib.ExitStack() as stack:
        summary_tmp = stack.enter_context(atomic_path(out_dir / C.EXTRACTION_SUMMARY_FILE))  # exits last
        written: dict[str, tuple[Path, int]] = {}
        for name, table, schema in tables:
            path = stack.enter_context(atomic_path(out_dir / name))
            write_parquet(table, path, schema)
            written[name] = (path, len(table))
        path, pair_rows = stack.enter_context(atomic_path(out_dir / C.PAIRS_FILE)), 0
        with pq.ParquetWriter(path, PAIRS_SCHEMA, compression=COMPRESSION) as writer:
            for table in B.pair_tables(train, professions, min_pair_count):
                writer.write_table(table)
                pair_rows += len(table)
                profession = table.column(C.PROFESSION_CLIENT)[0].as_py()
                logs.event(log, "pairs", profession=profession, rows=len(table))
        written[C.PAIRS_FILE] = (path, pair_rows)
        summary.files = {
            name: {"rows": rows, "bytes": path.stat().st_size, "sha256": _sha256(path)}
            for name, (path, rows) in written.items()
        }
        watch.lap("pairs_and_write")
        summary.timings_s = watch.timings | {"total": round(sum(watch.timings.values()), 3)}
        summary_tmp.write_text(summary.to_json(), encoding="utf-8")
    if C.HOLDOUT_FILE not in written:
        # A holdout left by an earlier extraction would not match this training set.
        (out_dir / C.HOLDOUT_FILE).unlink(missing_ok=True)


def extract(
    url: str,
    out_dir: Path | str,
    *,
    since: dt.date | None = None,
    until: dt.date | None = None,
    holdout_days: int = 0,
    holdout_frac: float = 0.0,
    seed: int = 42,
    min_pair_count: int = 1,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    sql_dir: Path | None = None,
) -> ExtractionSummary:
    """Extract the contract files from the warehouse at `url` into `out_dir` (see module doc).

    `sql_dir` holds adapted ventes.sql/details.sql (default: the packaged ones).
    """
    _check_arguments(since, until, holdout_days, holdout_frac, min_pair_count, chunk_rows)
    out_dir = Path(out_dir)
    ventes_query, details_query = Q.load_query(Q.VENTES_SQL, sql_dir), Q.load_query(Q.DETAILS_SQL, sql_dir)
    watch = _Stopwatch()
    engine = open_warehouse(url)
    try:
        with engine.connect() as conn:
            need_dates = bool(holdout_days or since or until)
            lines = _read_lines(conn, ventes_query, since, until, chunk_rows, need_dates=need_dates)
            watch.lap("query_ventes")
            details = _read_details(conn, details_query, chunk_rows)
            watch.lap("query_details")
    finally:
        engine.dispose()

    codes = lines.professions
    baskets, stats = B.assemble(
        _concat(lines.order, np.int64),
        _concat(lines.product, np.int64),
        _concat(lines.run_order, np.int64),
        _concat(lines.run_date, "datetime64[D]"),
        _concat(lines.run_profession, np.int32),
        sorted(codes, key=codes.__getitem__),
    )
    if not len(baskets):
        window = f" between {since or 'the start'} and {until or 'the end'}" if since or until else ""
        raise DataContractError(f"{ventes_query.name}: no order line{window} in the warehouse")
    held, holdout_rule = _split_holdout(baskets, holdout_days, holdout_frac, seed, ventes_query.name)
    train = B.group_identical(baskets, ~held)
    tables = [
        (C.VENTES_FILE, B.ventes_table(train, baskets.professions), VENTES_SCHEMA),
        (C.DETAILS_FILE, details, DETAILS_SCHEMA),
    ]
    if held.any():
        holdout = B.ventes_table(B.group_identical(baskets, held), baskets.professions)
        tables.append((C.HOLDOUT_FILE, holdout, HOLDOUT_SCHEMA))
    watch.lap("assemble")

    summary = ExtractionSummary(
        warehouse=mask(url),
        out_dir=str(out_dir),
        window={"since": since and since.isoformat(), "until": until and until.isoformat()},
        holdout=holdout_rule,
        min_pair_count=min_pair_count,
        created_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        counts={
            "query_rows": lines.rows,
            "lines_without_order_or_product": lines.dropped,
            "duplicate_lines": stats.duplicate_lines,
            "empty_orders": stats.empty_orders,
            "orders": len(baskets),
            "lines": len(baskets.products),
            "products_sold": len(np.unique(baskets.products)),
            "products_in_details": len(details),
            "professions": len(baskets.professions),
            "orders_without_date": int(np.isnat(baskets.date).sum()),
            "training_orders": int((~held).sum()),
            "holdout_orders": int(held.sum()),
        },
    )
    _write_files(out_dir, tables, train, baskets.professions, min_pair_count, summary, watch)
    logs.event(
        log, "extraction written", out_dir=out_dir, **summary.counts, seconds=summary.timings_s["total"]
    )
    return summary
