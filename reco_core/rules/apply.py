"""Applying the rules in force to one answer, after ranking.

`RulesEngine` resolves a rules version against what is served (the run's items, the catalogue
state's brands), once per load; `RulesEngine.for_request(basket, today)` gives a request's
`RequestRules`: the blocks it adds to the request's candidate filter, and the `PostRanking`
step the ranker calls on its ranked list:

1. boost / bury: each item of a boosted (buried) gamme or brand moves up (down) by the rule's
   ranks; several rules add up, within ±MAX_SHIFT. The ranker returns MAX_SHIFT... extra items
   (`extra_depth`), so a buried item leaves room for the next one and a boosted one can come in.
2. pins: a triggered pin places its product at its position; the other items keep their order
   around it. A pin whose product cannot be sold here (delisted, out of stock at the branch,
   excluded or blocked) or is in the basket does nothing and says why (`skipped`).
3. the list is cut to k.

Rules are a handful to a few hundred, so resolving which are in force is a loop over them per
request (microseconds); what touches candidates is numpy.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from reco_core.ranking.controls import Blocks, CandidateFilter, ControlIndex, Controls
from reco_core.ranking.index import RankerIndex
from reco_core.ranking.params import BasketParams
from reco_core.ranking.profiles import Profile
from reco_core.ranking.ranker import NoProfession, recommend
from reco_core.ranking.result import Recommendation, RecommendedItem, RuleApplied, RuleHit, ScoreBreakdown
from reco_core.rules.model import MAX_SHIFT, BlockRule, PinRule, ShiftRule
from reco_core.rules.versions import RulesVersion
from reco_core.text import fold_one


@dataclass(frozen=True, eq=False)
class RulesEngine:
    version: RulesVersion
    view: ControlIndex
    # brand name as written in the rules -> brand index of the catalogue state (folded match)
    brand_codes: dict[str, int]
    notes: tuple[str, ...]  # what cannot apply with what is served (brands unknown, no catalogue...)

    @classmethod
    def build(cls, version: RulesVersion, view: ControlIndex) -> RulesEngine:
        folded = {fold_one(b): i for i, b in enumerate(view.catalog.brands)} if view.catalog else {}
        codes: dict[str, int] = {}
        notes: list[str] = []
        for rule in version.rules.rules:
            for brand in getattr(rule, "brands", ()):
                code = folded.get(fold_one(brand))
                if code is None:
                    why = (
                        "no catalogue state is served"
                        if view.catalog is None
                        else "not a brand of the catalogue state"
                    )
                    notes.append(f"{rule.id}: brand {brand!r} ignored ({why})")
                else:
                    codes[brand] = code
        return cls(version, view, codes, tuple(notes))

    @property
    def version_id(self) -> str:
        return self.version.version_id

    def for_request(self, basket: Sequence[int], today: dt.date | None = None) -> RequestRules:
        """The rules in force for one basket (product ids) on `today` (UTC date by default)."""
        today = today or dt.datetime.now(dt.UTC).date()
        index = self.view.index
        basket_items = [index.run.item_index[p] for p in basket if p in index.run.item_index]
        basket_gammes = {int(g) for g in index.gamme[basket_items]} if basket_items else set()
        basket_ids = set(basket)
        blocks: dict[str, dict[int, str]] = {"items": {}, "gammes": {}, "brands": {}}
        pins: list[PinRule] = []
        shifts: list[ShiftRule] = []
        for rule in self.version.rules.rules:
            if not rule.in_force(today):
                continue
            if isinstance(rule, BlockRule):
                # up to 10,000 ids a rule: one vectorised lookup, not two per id and request
                slots = index.run.item_index.positions(np.asarray(rule.product_ids, dtype=np.int64))
                for slot in slots[slots >= 0].tolist():
                    blocks["items"].setdefault(slot, rule.id)
                for g in rule.gammes:
                    blocks["gammes"].setdefault(g, rule.id)
                for b in rule.brands:
                    if b in self.brand_codes:
                        blocks["brands"].setdefault(self.brand_codes[b], rule.id)
            elif isinstance(rule, PinRule):
                if basket_ids & set(rule.when.product_ids) or basket_gammes & set(rule.when.gammes):
                    pins.append(rule)
            elif isinstance(rule, ShiftRule):
                shifts.append(rule)
        return RequestRules(self, Blocks(**blocks), pins, shifts)


@dataclass(eq=False)
class RequestRules:
    """The rules in force for one request; implements reco_core.ranking.ranker.PostRanking."""

    engine: RulesEngine
    blocks: Blocks
    pins: list[PinRule]
    shifts: list[ShiftRule]
    applied: list[RuleApplied] = field(default_factory=list)

    @property
    def extra_depth(self) -> int:
        return MAX_SHIFT if self.shifts else 0

    def apply(
        self,
        index: RankerIndex,
        items: list[RecommendedItem],
        basket: np.ndarray,
        k: int,
        candidate_filter: CandidateFilter | None,
    ) -> tuple[list[RecommendedItem], list[RuleApplied]]:
        applied: list[RuleApplied] = []
        if candidate_filter is not None:
            applied += [
                RuleApplied(rule_id, "block", removed=n) for rule_id, n in candidate_filter.blocked_by.items()
            ]
        if self.shifts:
            items, shifted = self._shift(index, items, k)
            applied += shifted
        if self.pins:
            items, pinned = self._pin(index, items, basket, k, candidate_filter)
            applied += pinned
        return items[:k], applied

    def _shift(
        self, index: RankerIndex, items: list[RecommendedItem], k: int
    ) -> tuple[list[RecommendedItem], list[RuleApplied]]:
        ids = np.array([it.product_id for it in items], dtype=np.int64)
        slots = np.array([index.run.item_index[p] for p in ids.tolist()], dtype=np.int64)
        gammes = index.gamme[slots] if len(slots) else np.empty(0, np.int64)
        brands = self.engine.view.item_brand
        item_brands = brands[slots] if brands is not None and len(slots) else np.full(len(slots), -1)
        total = np.zeros(len(items), dtype=np.int64)
        hits: list[list[RuleHit]] = [[] for _ in items]
        touched: dict[str, list[int]] = {}
        for rule in self.shifts:
            codes = [self.engine.brand_codes[b] for b in rule.brands if b in self.engine.brand_codes]
            match = np.isin(gammes, rule.gammes) | np.isin(item_brands, codes)
            total[match] += rule.signed_ranks
            sign = "+" if rule.action == "boost" else "-"
            for i in np.flatnonzero(match).tolist():
                hits[i].append(RuleHit(rule.id, rule.action, f"{sign}{rule.ranks} rangs"))
        total = np.clip(total, -MAX_SHIFT, MAX_SHIFT)
        order = np.argsort(np.arange(len(items)) - total, kind="stable")
        out = []
        for rank, i in enumerate(order.tolist()):
            item = items[i]
            if hits[i] and rank < k:
                item = replace(item, rules=item.rules + tuple(hits[i]))
                for hit in hits[i]:
                    touched.setdefault(hit.rule_id, []).append(item.product_id)
            out.append(item)
        by_id = {r.id: r for r in self.shifts}
        applied = [RuleApplied(rid, by_id[rid].action, tuple(pids)) for rid, pids in touched.items()]
        return out, applied

    def _pin(
        self,
        index: RankerIndex,
        items: list[RecommendedItem],
        basket: np.ndarray,
        k: int,
        keep: CandidateFilter | None,
    ) -> tuple[list[RecommendedItem], list[RuleApplied]]:
        applied: list[RuleApplied] = []
        placed: dict[int, RecommendedItem] = {}  # 0-based position -> item
        taken_by: dict[int, str] = {}
        current = {it.product_id: it for it in items}
        for rule in sorted(self.pins, key=lambda r: r.position):
            slot = index.run.item_index.get(rule.product_id)
            skipped = None
            if slot is None:
                skipped = "not a product of the served run"
            elif np.isin(slot, basket):
                skipped = "already in the basket"
            elif keep is not None and not keep.allows(slot):
                skipped = (
                    "cannot be recommended here (delisted, out of stock at the branch, excluded or blocked)"
                )
            elif rule.position > k:
                skipped = f"position {rule.position} is beyond k={k}"
            elif rule.position - 1 in taken_by:
                skipped = f"position {rule.position} is taken by rule {taken_by[rule.position - 1]}"
            elif any(it.product_id == rule.product_id for it in placed.values()):
                skipped = "its product is already pinned by another rule"
            if skipped:
                applied.append(RuleApplied(rule.id, "pin", (rule.product_id,), skipped=skipped))
                continue
            base = current.get(rule.product_id) or RecommendedItem(
                product_id=rule.product_id, score=0.0, breakdown=ScoreBreakdown(), sources=("rule",)
            )
            hit = RuleHit(rule.id, "pin", f"rang {rule.position} imposé")
            placed[rule.position - 1] = replace(base, rules=(*base.rules, hit))
            taken_by[rule.position - 1] = rule.id
            applied.append(RuleApplied(rule.id, "pin", (rule.product_id,)))
        if not placed:
            return items, applied
        pinned_ids = {it.product_id for it in placed.values()}
        others = iter([it for it in items if it.product_id not in pinned_ids])
        out: list[RecommendedItem] = []
        for position in range(k):
            nxt = placed.get(position) or next(others, None)
            if nxt is None:
                break
            out.append(nxt)
        # pins beyond a short list still come back, after it
        out += [placed[p] for p in sorted(placed) if placed[p] not in out]
        return out, applied


def recommend_with_controls(
    view: ControlIndex,
    engine: RulesEngine | None,
    params: Profile | BasketParams,
    profession: str | NoProfession | None,
    product_ids: Sequence[int],
    k: int,
    controls: Controls | None = None,
    *,
    explain: bool = True,
    today: dt.date | None = None,
) -> Recommendation:
    """`recommend` with the request's controls, the catalogue state and the rules in force: what
    the API serves and what the evaluation measures the cost of. ControlError for a control the
    served state cannot honour (an unknown branch)."""
    basket = list(product_ids)
    request_rules = engine.for_request(basket, today) if engine is not None else None
    keep = view.filter(controls, request_rules.blocks if request_rules is not None else None)
    return recommend(
        view.index, params, profession, basket, k, explain=explain, candidate_filter=keep, rules=request_rules
    )
