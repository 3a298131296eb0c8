"""The views on a run read as arrays answer what they answered on the original's files: a run
with the columnar companions and the same run without them (loaded from mapping.pkl and
product_meta.json.gz) give the same /products/enrich, search and recommendation bodies."""

from __future__ import annotations

import json

import pytest
from helpers.tiny_run import make_tiny_run, product_id, replace_product_meta

from reco_core.artifacts import layout as L
from reco_core.settings import RecoSettings
from serving import views
from serving.runs import build_snapshot

META = {
    str(product_id(0)): {"LIB_PRODUIT": "Plaque de plâtre BA13", "ID_GAMME": 10.0, "ID_MARQUE": 1},
    str(product_id(1)): {"LIB_PRODUIT": "Vis placo", "ID_GAMME": 20, "ID_UNIVERS": 2}
    | {"LIB_UNIVERS": "Plâtrerie"},
    str(product_id(2)): {"LIB_PRODUIT": None, "ID_GAMME": None, "LIB_GAMME": "Visserie", "ID_MARQUE": 0},
    str(product_id(3)): {"ID_MARQUE": None},  # MDD from item_is_pl
    # product 4 has no metadata; 999 is in the catalogue but not modelled
    "999": {"LIB_PRODUIT": "Hors modèle", "ID_UNIVERS": 7, "ID_MARQUE": 1},
}


@pytest.fixture(scope="module")
def snapshots(tmp_path_factory):
    profiles = RecoSettings().profiles()
    name = next(iter(profiles))
    out = {}
    for columnar in (True, False):
        root = tmp_path_factory.mktemp(f"columnar-{columnar}")
        run_dir = make_tiny_run(root, columnar=columnar)
        replace_product_meta(run_dir, META)
        assert (run_dir / L.PRODUCT_META_ARROW).exists() is columnar
        out[columnar] = build_snapshot(run_dir, profiles, name)
    return out


def _body(model) -> str:
    return json.dumps(model.model_dump(mode="json"), sort_keys=True)


def test_enrich_is_the_same_from_the_columns_as_from_the_json(snapshots):
    asked = [product_id(i) for i in range(6)] + [999, 5, product_id(1), -1, 2**62]
    bodies = {c: _body(views.enrich(s, asked)) for c, s in snapshots.items()}
    assert bodies[True] == bodies[False]
    products = {p["product_id"]: p for p in json.loads(bodies[True])["products"]}
    assert products[product_id(0)]["ID_GAMME"] == 10 and products[product_id(0)]["MDD"] is True
    assert products[product_id(3)]["MDD"] is True  # odd items are own brand in the tiny run
    assert products[999] == {
        "product_id": 999,
        "LIB_PRODUIT": "Hors modèle",
        "ID_GAMME": None,
        "LIB_GAMME": None,
        "ID_UNIVERS": 7,
        "LIB_UNIVERS": None,
        "MDD": True,
        "substitutes": None,  # not an item of the run: no substitutes to say (issue 16)
    }
    assert products[product_id(0)]["substitutes"] == [product_id(3)]  # the tiny run's pair
    assert json.loads(bodies[True])["unknown_product_ids"] == [5, -1, 2**62]


def _fields_before(meta: dict, item_index: dict, item_is_pl, product_id: int):
    """serving.views.product_fields as it was on the dict of dicts (before the columns)."""
    found, index = meta.get(product_id), item_index.get(product_id)
    if found is None and index is None:
        return None
    found = found or {}
    fields = {name: found.get(name) for name in views._META_FIELDS}
    brand = found.get("ID_MARQUE")
    if brand is not None:
        fields["MDD"] = brand == 1
    else:
        fields["MDD"] = None if index is None else bool(item_is_pl[index])
    return fields


def test_enrich_is_what_the_dict_of_dicts_gave(snapshots):
    snapshot = snapshots[True]
    meta = {int(pid): fields for pid, fields in META.items()}
    item_index = {int(pid): i for i, pid in enumerate(snapshot.run.item_ids.tolist())}
    asked = [product_id(i) for i in range(6)] + [999, 5, -1]
    found = {pid: _fields_before(meta, item_index, snapshot.run.item_is_pl, pid) for pid in asked}
    before = views.EnrichResponse(
        run_id=snapshot.run.run_id,
        products=[
            # the substitutes (issue 16) are read from the run's table, beside the product fields
            views.ProductInfo(product_id=pid, **f, substitutes=views.substitutes_of(snapshot, pid))
            for pid, f in found.items()
            if f is not None
        ],
        unknown_product_ids=[pid for pid, f in found.items() if f is None],
    )
    assert _body(views.enrich(snapshot, asked)) == _body(before)


@pytest.mark.parametrize("query", ["plâtre", "vis", str(product_id(2)), "hors", "zzz"])
def test_search_is_the_same_from_the_columns_as_from_the_json(snapshots, query):
    bodies = {c: _body(views.search_results(s, query, 10)) for c, s in snapshots.items()}
    assert bodies[True] == bodies[False]


def test_univers_of_the_controls_is_the_same(snapshots):
    univers = {c: s.controls.item_univers.tolist() for c, s in snapshots.items()}
    assert univers[True] == univers[False] == [-1, 2, -1, -1, -1, -1]
