"""What the controls cost on the holdout: the model's answer against what can be sold.

On the same samples as the rest of the evaluation, each sample gets a branch (drawn with the
branches' share of customers, seeded; uniformly when the state has no customer counts) and is
ranked twice through the API's path: without controls (the model alone) and with the branch,
the catalogue state and the rules in force (rules.apply.recommend_with_controls). Reported:

- `removed_by_availability`: the share of the model's top-k items that the branch cannot sell
  (delisted, not listed, neither in stock nor orderable there): what a customer would have been
  shown and could not buy;
- `removed_delisted`: the part of it that is delisted everywhere;
- Hit@k without and with the controls, and their difference (paired by sample, with its
  standard error): what filtering costs (or gains: an unsellable item is not a hit anyone buys).
"""

from __future__ import annotations

import numpy as np

from reco_core.evaluation import metrics as M
from reco_core.evaluation.baselines import PROFESSION_AUTO, PROFESSION_NONE
from reco_core.evaluation.sampling import Samples
from reco_core.ranking import NO_PROFESSION, Profile, recommend
from reco_core.ranking.controls import ControlIndex, Controls
from reco_core.rules.apply import RulesEngine, recommend_with_controls


def branch_draw(view: ControlIndex, n: int, seed: int) -> np.ndarray:
    """Row of a branch for each of `n` samples, by share of customers."""
    assert view.catalog is not None
    customers = np.array([b.customers or 0 for b in view.catalog.branches], dtype=np.float64)
    weights = customers / customers.sum() if customers.sum() > 0 else None
    return np.random.default_rng(seed).choice(len(customers), size=n, p=weights)


def controls_cost(
    view: ControlIndex,
    engine: RulesEngine | None,
    profile: Profile,
    samples: Samples,
    professions: np.ndarray,
    k: int,
    seed: int,
) -> dict:
    """The figures of the module doc, on `samples` ranked for `professions` (scoring.query_professions)."""
    state = view.catalog
    assert state is not None
    index = view.index
    rows = branch_draw(view, len(samples), seed)
    removed = delisted = shown = 0
    hits_free = np.zeros(len(samples))
    hits_ctrl = np.zeros(len(samples))
    short = 0
    for i in range(len(samples)):
        basket = samples.given.row(i).tolist()
        expected = set(samples.expected.row(i).tolist())
        code = int(professions[i])
        profession = (
            NO_PROFESSION
            if code == PROFESSION_NONE
            else None
            if code == PROFESSION_AUTO
            else index.professions[code]
        )
        free = recommend(index, profile, profession, basket, k, explain=False)  # the model alone
        items = np.array([index.run.item_index[p] for p in free.product_ids], dtype=np.int64)
        pos = view.item_pos[items]
        ok = view.sellable[items] & (pos >= 0) & state.available(int(rows[i]), np.maximum(pos, 0))
        removed += int((~ok).sum())
        delisted += int((~view.sellable[items]).sum())
        shown += len(items)
        controlled = recommend_with_controls(
            view,
            engine,
            profile,
            profession,
            basket,
            k,
            Controls(agence=int(state.branch_ids[rows[i]])),
            explain=False,
        )
        short += len(controlled.items) < k
        hits_free[i] = bool(expected & set(free.product_ids))
        hits_ctrl[i] = bool(expected & set(controlled.product_ids))
    mean_free, se_free = M.mean_and_se(hits_free)
    mean_ctrl, se_ctrl = M.mean_and_se(hits_ctrl)
    _, se_diff = M.mean_and_se(hits_ctrl - hits_free)
    return {
        "catalog_id": state.state_id,
        "rules_id": engine.version_id if engine is not None else None,
        "branches": len(state.branch_ids),
        "branch_draw": "by share of customers" if any(b.customers for b in state.branches) else "uniform",
        "samples": len(samples),
        "k": k,
        "removed_by_availability": removed / max(shown, 1),
        "removed_delisted": delisted / max(shown, 1),
        f"hit@{k}_without_controls": mean_free,
        f"hit@{k}_without_controls_se": se_free,
        f"hit@{k}_with_controls": mean_ctrl,
        f"hit@{k}_with_controls_se": se_ctrl,
        f"hit@{k}_difference": mean_ctrl - mean_free,
        f"hit@{k}_difference_se": se_diff,
        "answers_short_of_k": int(short),
    }


def format_controls(cost: dict) -> list[str]:
    k = cost["k"]
    return [
        "",
        f"what the controls cost (catalogue state {cost['catalog_id']}, rules {cost['rules_id'] or 'none'}; "
        f"{cost['samples']:,} samples, each at a branch drawn {cost['branch_draw']} "
        f"among {cost['branches']}):",
        f"  model's top-{k} items the branch cannot sell   {100 * cost['removed_by_availability']:6.2f} %"
        f"  (delisted: {100 * cost['removed_delisted']:.2f} %)",
        f"  hit@{k} without controls                       {cost[f'hit@{k}_without_controls']:.4f}"
        f" ± {cost[f'hit@{k}_without_controls_se']:.4f}",
        f"  hit@{k} with controls                          {cost[f'hit@{k}_with_controls']:.4f}"
        f" ± {cost[f'hit@{k}_with_controls_se']:.4f}",
        f"  difference (paired)                            {cost[f'hit@{k}_difference']:+.4f}"
        f" ± {cost[f'hit@{k}_difference_se']:.4f}",
        f"  answers with fewer than {k} items               {cost['answers_short_of_k']:,}",
    ]
