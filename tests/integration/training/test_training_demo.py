"""Training on the demo warehouse: early stopping, verified artifacts, planted kits found by pairs."""

from __future__ import annotations

import gzip
import json

import numpy as np

from reco_core import columns as C
from reco_core.artifacts import layout as L
from reco_core.artifacts.loader import load_run
from reco_core.artifacts.store import current_run
from reco_core.artifacts.verify import verify_run
from reco_core.columns import ANY_PROFESSION
from reco_core.evaluation.evaluate import load_interactions
from reco_core.ranking import RankerIndex
from reco_core.training.blend import FitData, _training_groups

KIT_THRESHOLD = 0.8  # share of planted kits whose items find a kit sibling in their pair top-10


def test_run_is_named_promoted_and_verifies(trained_demo):
    assert L.RUN_NAME_RE.match(trained_demo.run.name) and trained_demo.run.name.endswith("_demo")
    assert current_run(trained_demo.root) == trained_demo.run.resolve()
    report = verify_run(trained_demo.run)
    assert report.ok, report.problems
    assert not [p for p in trained_demo.root.iterdir() if p.name.startswith(".tmp-")]


def test_early_stopping_keeps_the_best_epoch(trained_demo):
    params = json.loads((trained_demo.run / L.PARAMS).read_text())
    history = params["history"]
    assert params["stopped_early"] is True
    assert len(history) < 60
    best = max(history, key=lambda h: (h["val_hit@10"], -h["epoch"]))
    assert params["best_epoch"] == best["epoch"]
    # stopped exactly `patience` epochs after the best one
    assert len(history) == params["best_epoch"] + 2
    assert params["best_val_hit@10"] > 0.1
    assert all(h["seconds"] > 0 for h in history)


def test_params_and_versions_record_flags_inputs_and_history(trained_demo):
    params = json.loads((trained_demo.run / L.PARAMS).read_text())
    versions = json.loads((trained_demo.run / L.VERSIONS).read_text())
    assert params["flags"]["no_components"] == 64 and params["flags"]["loss"] == "warp"
    assert set(versions["inputs"]) == {"ventes", "details", "pairs"}
    assert len(versions["inputs"]["ventes"]["sha256"]) == 64
    assert versions["libraries"]["rectools-lightfm"]
    assert set(params["timings"]) >= {"read_inputs", "lightfm", "pairs", "write"}


def test_planted_kits_are_found_in_pair_top10(trained_demo):
    run = load_run(trained_demo.run)
    found = 0
    for kit in trained_demo.kits:
        members = [run.item_index[p] for p in kit.product_ids if p in run.item_index]
        hits = 0
        for i in members:
            top = set(run.pairs[ANY_PROFESSION].row(i)[0][:10].tolist())
            hits += bool(top & (set(members) - {i}))
        found += hits >= len(members) / 2
    share = found / len(trained_demo.kits)
    assert share >= KIT_THRESHOLD, f"only {share:.0%} of kits found"


def test_embeddings_and_popularities_are_consistent(trained_demo):
    run = load_run(trained_demo.run)
    norms = np.linalg.norm(run.item_emb_norm, axis=1)
    assert np.allclose(norms[norms > 0], 1, atol=1e-4)
    assert run.train_pop.max() == 1.0
    assert np.allclose(run.pop_by_prof_norm.max(axis=1), 1.0)
    assert run.professions == tuple(sorted(run.professions))


def test_training_never_opens_the_holdout(trained_demo):
    holdout = (trained_demo.data_dir / C.HOLDOUT_FILE).resolve()
    assert holdout.is_file()
    assert (trained_demo.data_dir / C.VENTES_FILE).resolve() in trained_demo.opened  # the hook records
    assert holdout not in trained_demo.opened


def test_the_learned_relevance_is_in_the_run_verified_and_beats_each_signal_on_its_validation(trained_demo):
    manifest = json.loads((trained_demo.run / L.MANIFEST).read_text())
    assert set(L.OPTIONAL_FILES) <= set(manifest["files"])
    run = load_run(trained_demo.run)
    assert run.ease is not None and run.ease.nnz > 0 and run.blend is not None
    blend = json.loads((trained_demo.run / L.PARAMS).read_text())["learned_blend"]
    assert blend == run.blend_meta  # params.json repeats blend.json
    overall = blend["validation"]["overall"]
    best_single = max(v["hit@10"] for name, v in overall.items() if name != "learned")
    assert overall["learned"]["hit@10"] >= best_single - 0.01, overall
    assert blend["samples"]["train"] > blend["samples"]["validation"] > 0
    assert 0 < blend["orders"]["validation"] < blend["orders"]["train"] <= blend["held_out_orders"]
    assert blend["ease"]["validation"].startswith("a slice of the run's training baskets")


def test_no_held_out_order_both_teaches_and_judges_the_blend(trained_demo):
    """Samples are drawn with replacement: 600 from 40 orders draw each ~15 times. Split by
    sample, nearly every order would be on both sides, and early stopping would judge the model
    on the orders it learned from."""
    index = RankerIndex.build(load_run(trained_demo.run))
    x = load_interactions(index.run)
    rows = np.flatnonzero(np.diff(x.indptr) >= 2)[:40]
    held = FitData(x[rows], np.zeros(len(rows), np.int64), np.ones(len(rows)))
    train, valid = _training_groups(index, held, 600, np.random.default_rng(3))
    taught, judged = {g.order for g in train}, {g.order for g in valid}
    assert taught and judged and not taught & judged
    assert len(train) + len(valid) > 5 * len(taught | judged)  # orders were drawn many times


def test_the_run_holds_the_columnar_companions_serving_reads_and_they_match_the_originals(trained_demo):
    """verify_run parses mapping.pkl, product_meta.json.gz and the pair pickles and checks that the
    companions hold exactly what they hold; serving then reads only the companions."""
    manifest = json.loads((trained_demo.run / L.MANIFEST).read_text())
    assert set(L.COLUMNAR_FILES) <= set(manifest["files"])
    report = verify_run(trained_demo.run, check_model=False)
    assert report.ok, report.problems
    assert not any("columnar" in note for note in report.notes)
    run = load_run(trained_demo.run)
    assert run.item_stats is not None and run.pop_order is not None
    assert run.item_index.positions(run.item_ids).tolist() == list(range(run.n_items))
    meta = json.loads(gzip.decompress((trained_demo.run / L.PRODUCT_META).read_bytes()))
    assert len(run.product_meta) == len(meta) >= run.n_items
    for pid in list(meta)[:50]:
        assert run.product_meta.get(int(pid))["LIB_PRODUIT"] == meta[pid].get("LIB_PRODUIT")
