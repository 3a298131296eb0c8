"""Readers and writer of the contract files: validation, defaults, dtypes."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from reco_core import columns as C
from reco_core import contract
from reco_core.errors import DataContractError


def _write(tmp_path, name: str, table: pa.Table):
    path = tmp_path / name
    pq.write_table(table, path)
    return path


def test_ventes_round_trip_keeps_schema_and_values(tmp_path):
    frame = pd.DataFrame(
        {
            C.PROFESSION_CLIENT: ["PLAQUISTE", "PLOMBIER"],
            C.NB_OCCURENCES_COMMANDE: [3, 1],
            C.LIST_ID_PRODUITS: [[1, 2, 3], [7]],
        }
    )
    path = tmp_path / C.VENTES_FILE
    contract.write_parquet_atomic(frame, path, contract.VENTES_SCHEMA)
    assert pq.read_schema(path).remove_metadata().equals(contract.VENTES_SCHEMA)
    assert [p.name for p in tmp_path.iterdir()] == [C.VENTES_FILE]  # no temporary file left
    back = contract.read_ventes(path)
    assert back[C.PROFESSION_CLIENT].tolist() == ["PLAQUISTE", "PLOMBIER"]
    assert back[C.NB_OCCURENCES_COMMANDE].dtype == "int64"
    assert [list(x) for x in back[C.LIST_ID_PRODUITS]] == [[1, 2, 3], [7]]
    assert back[C.LIST_ID_PRODUITS].iloc[0].dtype == "int64"


def test_ventes_missing_required_column_names_column_and_file(tmp_path):
    path = _write(
        tmp_path, "v.parquet", pa.table({C.PROFESSION_CLIENT: ["X"], C.NB_OCCURENCES_COMMANDE: [1]})
    )
    with pytest.raises(DataContractError) as err:
        contract.read_ventes(path)
    assert C.LIST_ID_PRODUITS in str(err.value)
    assert str(path) in str(err.value)


def test_ventes_optional_count_defaults_to_one_and_nonsense_rows_are_dropped(tmp_path, caplog):
    table = pa.table(
        {
            C.PROFESSION_CLIENT: ["A", None, "C", "D", ""],
            C.LIST_ID_PRODUITS: pa.array([[1, 2], [3, None], [], None, [5]], pa.list_(pa.int32())),
        }
    )
    back = contract.read_ventes(_write(tmp_path, "v.parquet", table))
    assert back[C.NB_OCCURENCES_COMMANDE].tolist() == [1, 1, 1]
    assert back[C.PROFESSION_CLIENT].tolist() == ["A", C.DEFAULT_PROFESSION, C.DEFAULT_PROFESSION]
    assert [list(x) for x in back[C.LIST_ID_PRODUITS]] == [[1, 2], [3], [5]]


def test_ventes_non_positive_counts_are_dropped(tmp_path):
    table = pa.table(
        {
            C.PROFESSION_CLIENT: ["A", "B", "C"],
            C.NB_OCCURENCES_COMMANDE: [2, 0, -1],
            C.LIST_ID_PRODUITS: [[1], [2], [3]],
        }
    )
    back = contract.read_ventes(_write(tmp_path, "v.parquet", table))
    assert back[C.PROFESSION_CLIENT].tolist() == ["A"]


def test_uncastable_column_is_a_contract_error(tmp_path):
    table = pa.table({C.ID_PRODUIT: ["12", "douze"]})
    with pytest.raises(DataContractError, match=C.ID_PRODUIT):
        contract.read_details(_write(tmp_path, "d.parquet", table))


def test_details_optional_columns_filled_and_dtypes(tmp_path):
    table = pa.table(
        {
            C.ID_PRODUIT: pa.array([3, 1, None, 3], pa.int32()),
            C.ID_GAMME: [10.0, None, 11.0, 12.0],
            C.LIB_PRODUIT: ["vis", None, "x", "doublon"],
        }
    )
    back = contract.read_details(_write(tmp_path, "d.parquet", table))
    assert back[C.ID_PRODUIT].tolist() == [3, 1]  # null id dropped, duplicate 3 dropped (first kept)
    assert back[C.ID_PRODUIT].dtype == "int64"
    assert str(back[C.ID_GAMME].dtype) == "Int64"
    assert back[C.ID_GAMME].iloc[0] == 10 and back[C.ID_GAMME].isna().iloc[1]
    assert back[C.ID_UNIVERS].isna().all() and back[C.LIB_UNIVERS].isna().all()
    assert back[C.ID_MARQUE].tolist() == [0, 0]
    assert list(back.columns) == list(C.DETAILS_COLUMNS)


def test_details_brand_flag_must_be_binary(tmp_path):
    table = pa.table({C.ID_PRODUIT: [1, 2], C.ID_MARQUE: [0, 7]})
    with pytest.raises(DataContractError, match=r"ID_MARQUE.*\[7\]"):
        contract.read_details(_write(tmp_path, "d.parquet", table))


def test_pairs_list_professions_are_exploded(tmp_path):
    table = pa.table(
        {
            C.ID_PRODUIT_A: [1, 2, 4],
            C.ID_PRODUIT_B: [2, 1, 4],
            C.OCCURENCE_PAIR: [5, 0, 3],
            C.PROFESSION_CLIENT: [["PLAQUISTE", "PEINTRE"], ["PLOMBIER"], ["MACON"]],
        }
    )
    back = contract.read_pairs(_write(tmp_path, "p.parquet", table))
    # (2, 1) has a zero count and (4, 4) is a self-pair: both dropped.
    assert back.to_dict("list") == {
        C.ID_PRODUIT_A: [1, 1],
        C.ID_PRODUIT_B: [2, 2],
        C.OCCURENCE_PAIR: [5, 5],
        C.PROFESSION_CLIENT: ["PLAQUISTE", "PEINTRE"],
    }
    assert back[C.OCCURENCE_PAIR].dtype == "int64"


def test_pairs_string_profession_and_missing_profession(tmp_path):
    ok = pa.table(
        {C.ID_PRODUIT_A: [1], C.ID_PRODUIT_B: [2], C.OCCURENCE_PAIR: [1], C.PROFESSION_CLIENT: ["X"]}
    )
    assert contract.read_pairs(_write(tmp_path, "ok.parquet", ok))[C.PROFESSION_CLIENT].tolist() == ["X"]
    with pytest.raises(DataContractError, match=C.PROFESSION_CLIENT):
        contract.read_pairs(_write(tmp_path, "ko.parquet", ok.drop_columns([C.PROFESSION_CLIENT])))


def test_missing_or_corrupt_file_is_a_contract_error(tmp_path):
    with pytest.raises(DataContractError, match="not found"):
        contract.read_pairs(tmp_path / "absent.parquet")
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"not parquet")
    with pytest.raises(DataContractError, match=r"bad\.parquet"):
        contract.read_pairs(bad)


def test_failed_atomic_write_leaves_nothing(tmp_path):
    frame = pd.DataFrame({C.ID_PRODUIT: [1]})  # lacks the other details columns
    with pytest.raises(KeyError):
        contract.write_parquet_atomic(frame, tmp_path / C.DETAILS_FILE, contract.DETAILS_SCHEMA)
    assert list(tmp_path.iterdir()) == []
