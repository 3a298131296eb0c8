"""The Parquet files of the data contract (SPEC §2), plus the holdout: schemas, readers, writer.

Extraction writes these files and training, evaluation and the data checks read them. Both sides
go through this module, so a file one side accepts is a file the other side can read, with the
same dtypes whatever produced it (our extraction, a hand-made pandas export, an older job).

Readers are lenient where the contract is (optional columns are filled: NB_OCCURENCES_COMMANDE
and ID_MARQUE with their defaults, the others with nulls; PROFESSION_CLIENT of the pairs may be a
list and is exploded) and strict where a silent guess would corrupt training: a missing required
column or a column that cannot be cast raises DataContractError naming the column and the file.
Rows that cannot mean anything (null product id, non-positive count, empty basket) are dropped
and counted in the log rather than failing a nightly run over one bad row.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from reco_core import columns as C
from reco_core import logs
from reco_core.errors import DataContractError
from reco_core.fsutil import atomic_path

log = logs.get_logger("contract")

# Lists are written with Parquet's standard child name "element", so that a file read back has
# exactly the schema it was written with (pyarrow's default "item" would come back renamed).
COMPRESSION = "zstd"  # of every contract file: small and fast to read back

PRODUCT_LIST = pa.list_(pa.field("element", pa.int64(), nullable=False))

VENTES_SCHEMA: pa.Schema = pa.schema(
    [
        pa.field(C.PROFESSION_CLIENT, pa.string(), nullable=False),
        pa.field(C.NB_OCCURENCES_COMMANDE, pa.int64(), nullable=False),
        pa.field(C.LIST_ID_PRODUITS, PRODUCT_LIST, nullable=False),
    ]
)
HOLDOUT_SCHEMA: pa.Schema = VENTES_SCHEMA

DETAILS_SCHEMA: pa.Schema = pa.schema(
    [
        pa.field(C.ID_PRODUIT, pa.int64(), nullable=False),
        pa.field(C.ID_GAMME, pa.int64()),
        pa.field(C.ID_UNIVERS, pa.int64()),
        pa.field(C.LIB_PRODUIT, pa.string()),
        pa.field(C.LIB_GAMME, pa.string()),
        pa.field(C.LIB_UNIVERS, pa.string()),
        pa.field(C.ID_MARQUE, pa.int64(), nullable=False),
    ]
)

PAIRS_SCHEMA: pa.Schema = pa.schema(
    [
        pa.field(C.ID_PRODUIT_A, pa.int64(), nullable=False),
        pa.field(C.ID_PRODUIT_B, pa.int64(), nullable=False),
        pa.field(C.OCCURENCE_PAIR, pa.int64(), nullable=False),
        pa.field(C.PROFESSION_CLIENT, pa.string(), nullable=False),
    ]
)


@dataclass(frozen=True)
class FileSpec:
    """What a contract file must hold and how to repair what it may omit."""

    schema: pa.Schema
    required: tuple[str, ...]
    defaults: Mapping[str, int]  # optional columns filled with a value instead of nulls
    clean: Callable[[pa.Table, str], pa.Table]  # drops/repairs rows once dtypes are right


def _drop(table: pa.Table, keep: pa.ChunkedArray | pa.Array, source: str, reason: str) -> pa.Table:
    """Filter `table` on `keep` (nulls count as False), logging how many rows went and why."""
    keep = pc.fill_null(keep, False)
    dropped = len(table) - pc.sum(keep).as_py() if len(table) else 0
    if dropped:
        logs.event(log, "rows dropped", level=logging.WARNING, file=source, reason=reason, rows=dropped)
        table = table.filter(keep)
    return table


def _fill_profession(table: pa.Table, source: str) -> pa.Table:
    """Null or empty professions become DEFAULT_PROFESSION (the serving side's 'unknown')."""
    prof = table.column(C.PROFESSION_CLIENT)
    missing = pc.fill_null(pc.equal(pc.utf8_length(prof), 0), True)
    n_missing = pc.sum(missing).as_py() or 0
    if n_missing:
        logs.event(log, "professions defaulted", file=source, to=C.DEFAULT_PROFESSION, rows=n_missing)
        fixed = pc.if_else(missing, C.DEFAULT_PROFESSION, prof)
        table = table.set_column(
            table.schema.get_field_index(C.PROFESSION_CLIENT), C.PROFESSION_CLIENT, fixed
        )
    return table


def _fill_nulls(table: pa.Table, column: str, value: int) -> pa.Table:
    index = table.schema.get_field_index(column)
    return table.set_column(index, column, pc.fill_null(table.column(column), value))


def _clean_ventes(table: pa.Table, source: str) -> pa.Table:
    table = _fill_profession(table, source)
    table = _fill_nulls(table, C.NB_OCCURENCES_COMMANDE, 1)
    table = _drop(table, pc.greater(table.column(C.NB_OCCURENCES_COMMANDE), 0), source, "count <= 0")
    lists = table.column(C.LIST_ID_PRODUITS).combine_chunks()
    values = lists.flatten()  # skips null lists, which the rebuilt offsets turn into empty ones
    if lists.null_count or values.null_count:
        # Rebuild the lists without their null ids (a null product cannot be recommended).
        parents = pc.list_parent_indices(lists)
        valid = pc.is_valid(values)
        logs.event(
            log,
            "null product ids dropped",
            level=logging.WARNING,
            file=source,
            ids=len(values) - pc.sum(valid).as_py(),
        )
        values, parents = values.filter(valid), parents.filter(valid).to_numpy()
        offsets = np.zeros(len(lists) + 1, dtype=np.int32)
        np.cumsum(np.bincount(parents, minlength=len(lists)), out=offsets[1:])
        lists = pa.ListArray.from_arrays(pa.array(offsets), values)
        table = table.set_column(table.schema.get_field_index(C.LIST_ID_PRODUITS), C.LIST_ID_PRODUITS, lists)
    return _drop(
        table, pc.greater(pc.list_value_length(table.column(C.LIST_ID_PRODUITS)), 0), source, "empty basket"
    )


def _clean_details(table: pa.Table, source: str) -> pa.Table:
    table = _drop(table, pc.is_valid(table.column(C.ID_PRODUIT)), source, "null ID_PRODUIT")
    ids = table.column(C.ID_PRODUIT).to_numpy()
    first = np.zeros(len(ids), dtype=bool)
    first[np.unique(ids, return_index=True)[1]] = True
    table = _drop(table, pa.array(first), source, "duplicate ID_PRODUIT (first row kept)")
    table = _fill_nulls(table, C.ID_MARQUE, 0)
    bad = pc.invert(pc.is_in(table.column(C.ID_MARQUE), pa.array([0, 1], pa.int64())))
    if pc.any(bad).as_py():
        values = sorted(set(table.column(C.ID_MARQUE).filter(bad).to_pylist()))[:5]
        raise DataContractError(
            f"{source}: column {C.ID_MARQUE} must be 0 or 1 (1 = own brand), found {values}"
        )
    return table


def _clean_pairs(table: pa.Table, source: str) -> pa.Table:
    table = _fill_profession(table, source)
    for col in (C.ID_PRODUIT_A, C.ID_PRODUIT_B):
        table = _drop(table, pc.is_valid(table.column(col)), source, f"null {col}")
    table = _drop(table, pc.greater(table.column(C.OCCURENCE_PAIR), 0), source, "count <= 0 or null")
    same = pc.equal(table.column(C.ID_PRODUIT_A), table.column(C.ID_PRODUIT_B))
    return _drop(table, pc.invert(same), source, "product paired with itself")


VENTES = FileSpec(
    VENTES_SCHEMA, (C.PROFESSION_CLIENT, C.LIST_ID_PRODUITS), {C.NB_OCCURENCES_COMMANDE: 1}, _clean_ventes
)
DETAILS = FileSpec(DETAILS_SCHEMA, C.DETAILS_REQUIRED, {C.ID_MARQUE: 0}, _clean_details)
PAIRS = FileSpec(
    PAIRS_SCHEMA, (C.ID_PRODUIT_A, C.ID_PRODUIT_B, C.OCCURENCE_PAIR, C.PROFESSION_CLIENT), {}, _clean_pairs
)


def _explode_professions(table: pa.Table) -> pa.Table:
    """PROFESSION_CLIENT given as list[str] (allowed in the pairs file): one row per profession."""
    prof = table.column(C.PROFESSION_CLIENT).combine_chunks()
    if not (pa.types.is_list(prof.type) or pa.types.is_large_list(prof.type)):
        return table
    parents = pc.list_parent_indices(prof)
    exploded = table.drop_columns([C.PROFESSION_CLIENT]).take(parents)
    return exploded.append_column(C.PROFESSION_CLIENT, pc.list_flatten(prof))


def conform(table: pa.Table, spec: FileSpec, source: str) -> pa.Table:
    """Return `table` with exactly `spec.schema` (missing optional columns filled, bad rows dropped).

    `source` names the file or query in messages. Extra columns are ignored.
    """
    missing = [name for name in spec.required if name not in table.column_names]
    if missing:
        raise DataContractError(
            f"{source}: missing required column {', '.join(missing)} (found: {', '.join(table.column_names)})"
        )
    if spec is PAIRS:
        table = _explode_professions(table)
    arrays = []
    for field in spec.schema:
        if field.name in table.column_names:
            column = table.column(field.name)
            try:
                arrays.append(column.cast(field.type))
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
                raise DataContractError(
                    f"{source}: column {field.name} has type {column.type}, expected {field.type} ({exc})"
                ) from None
        else:
            value = spec.defaults.get(field.name)
            arrays.append(
                pa.nulls(len(table), field.type) if value is None else pa.array(np.full(len(table), value))
            )
    # Nullable while cleaning; the strict schema is applied once nulls are repaired or dropped.
    loose = pa.schema([field.with_nullable(True) for field in spec.schema])
    cleaned = spec.clean(pa.Table.from_arrays(arrays, schema=loose), source)
    return cleaned.cast(spec.schema)


def _read(path: Path | str, spec: FileSpec) -> pd.DataFrame:
    path = Path(path)
    if not path.is_file():
        raise DataContractError(f"{path}: file not found")
    try:
        table = pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise DataContractError(f"{path}: not a readable Parquet file ({exc})") from None
    table = conform(table, spec, str(path))
    frame = table.to_pandas()
    for field in spec.schema:  # nullable ids stay integers (pandas would make them float64)
        if field.nullable and pa.types.is_integer(field.type):
            frame[field.name] = table.column(field.name).to_pandas(
                types_mapper={field.type: pd.Int64Dtype()}.get
            )
    return frame


def read_ventes(path: Path | str) -> pd.DataFrame:
    """df_ventes_grouped.parquet (or the holdout): LIST_ID_PRODUITS is an object column of int64 arrays."""
    return _read(path, VENTES)


def read_details(path: Path | str) -> pd.DataFrame:
    """df_details_produits.parquet: one row per ID_PRODUIT; ID_GAMME/ID_UNIVERS are nullable Int64."""
    return _read(path, DETAILS)


def read_pairs(path: Path | str) -> pd.DataFrame:
    """df_couple_produit.parquet, one row per (A, B, profession) after exploding list professions."""
    return _read(path, PAIRS)


def to_table(data: pa.Table | pd.DataFrame, schema: pa.Schema) -> pa.Table:
    """`data` as a table of exactly `schema` (columns selected in order and cast)."""
    if isinstance(data, pd.DataFrame):
        return pa.Table.from_pandas(data[schema.names], schema=schema, preserve_index=False)
    return data.select(schema.names).cast(schema)


def write_parquet(data: pa.Table | pd.DataFrame, path: Path, schema: pa.Schema) -> None:
    """Write `data` with `schema` to `path` as is (callers own the atomicity)."""
    pq.write_table(to_table(data, schema), path, compression=COMPRESSION)


def write_parquet_atomic(data: pa.Table | pd.DataFrame, path: Path | str, schema: pa.Schema) -> None:
    """Write a contract file so that readers see either the previous file or the complete new one."""
    with atomic_path(path) as tmp:
        write_parquet(data, tmp, schema)
