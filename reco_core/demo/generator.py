"""A deterministic demo warehouse for a French building-materials distributor (négoce BTP).

Nobody can share a real négoce's order history, yet the whole pipeline (extraction, training,
evaluation, serving) must be demonstrable and testable on data with the structure that makes
the recommender useful: trades that buy job kits together, a long tail of references, own-brand
twins, skewed customers, seasonal activity. The planted kits are returned with the tables, so
a test can check that what the pipeline finds is what was planted.

Only numpy's PCG64 drives randomness, consumed in a fixed order, and nothing depends on set or
dict iteration order: the same seed and knobs give identical tables. The catalogue and kits use
their own random streams, so they do not change when only the number of orders changes.
Loops run per catalogue template, per kit or per profession, never per order line, so 2 million
orders take seconds, not hours.
"""

from __future__ import annotations

import datetime
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from reco_core.demo import catalog
from reco_core.demo.catalog import PROFESSIONS
from reco_core.errors import RecoError
from reco_core.fsutil import atomic_write_text

MDD_SHARE = 0.15  # share of own-brand (MDD) products in the catalogue
MIN_PRODUCTS = math.ceil(len(catalog.TEMPLATES) / (1 - MDD_SHARE))  # one branded product per template
DEFAULT_PRODUCTS = 3000
KITS_PER_RECIPE = 3  # kit variants per recipe at the default catalogue size, growing as its square root
KIT_ZIPF = 1.0  # popularity skew of the kits a profession buys
NOISE_ZIPF = 1.0  # popularity skew of the items bought outside kits
SECOND_KIT_PROB = 0.35  # an order covers one job, sometimes two
NOISE_MEAN = 2.0  # items bought outside kits per order (Poisson mean)
ANCHOR_INCLUSION = 0.9  # the kit's main item (plasterboard, tube...) is almost always bought
INCLUSION_LOW, INCLUSION_HIGH = 0.6, 0.85  # the other kit items: often but not always
TRADE_AFFINITY, UNIVERSAL_AFFINITY, OTHER_AFFINITY = 8.0, 2.0, 0.25  # weight of a univers for a trade
ORDERS_PER_CUSTOMER = 20  # default number of customers = n_orders / this
FIRST_PRODUCT_ID, FIRST_CUSTOMER_ID, FIRST_ORDER_ID = 100_000, 1_000_000, 20_000_000
# The catalogue state (branches, stock, delisted products): a network of branches (agences) of
# very different sizes - a few big depots that list most of the catalogue, many small counters
# that list the popular part of it - and a catalogue that loses a few percent of its references
# each month (déréférencement).
DEFAULT_BRANCHES = 20
FIRST_BRANCH_ID = 1
BRANCH_LISTED_SHARE = (0.25, 0.9)  # share of the catalogue a branch lists: smallest, biggest
OUT_OF_STOCK_SHARE = 0.06  # listed but at 0 units today
ORDERABLE_SHARE = 0.5  # of those at 0 units, how many the branch can still order for the customer
DELIST_MONTHLY = 0.015  # share of the active catalogue delisted each month
DELIST_MONTHS = 6  # months of delisting history before end_date
DELISTED_RESIDUAL_STOCK = 0.1  # a delisted product still on some shelves (never to be recommended)
_TOWNS = (
    "Lyon Gerland", "Villeurbanne", "Vénissieux", "Bron", "Saint-Priest", "Vaulx-en-Velin",
    "Caluire", "Écully", "Oullins", "Givors", "Vienne", "Villefranche", "Bourgoin", "Meyzieu",
    "Décines", "Rillieux", "Tassin", "Brignais", "Mions", "Neuville",
)  # fmt: skip
KITS_FORMAT = "reco-materiaux/demo-kits/1"
TWINS_FORMAT = "reco-materiaux/demo-twins/1"
TWINS_FILE = "demo_twins.json"  # written beside the kits file by `reco demo-warehouse`

# Order-rate factors: the trade works Monday to Friday, a little on Saturday morning, stops for
# the August holidays and around Christmas; fixed French public holidays are closed days.
_MONTH_FACTOR = np.array([0.85, 0.9, 1.05, 1.1, 1.0, 1.15, 1.0, 0.55, 1.1, 1.1, 0.95, 0.75])
_WEEKDAY_FACTOR = np.array([1.1, 1.05, 1.0, 1.0, 0.95, 0.3, 0.0])  # Monday..Sunday
_HOLIDAYS = ((1, 1), (5, 1), (5, 8), (7, 14), (8, 15), (11, 1), (11, 11), (12, 25))  # (month, day)
_YEARLY_GROWTH = 0.06


@dataclass(frozen=True)
class Kit:
    """A planted job kit: products a profession buys together, the ground truth of the demo."""

    kit_id: str
    name: str
    professions: tuple[str, ...]
    product_ids: tuple[int, ...]


@dataclass
class DemoWarehouse:
    """The six warehouse tables (columns as in reco_core.warehouse.schema) and the planted kits.

    `date_commande` is datetime64[s] at midnight: SQL `Date` values, without a time of day.
    """

    univers: pd.DataFrame
    gammes: pd.DataFrame
    products: pd.DataFrame
    agences: pd.DataFrame
    customers: pd.DataFrame
    orders: pd.DataFrame
    order_lines: pd.DataFrame
    stock: pd.DataFrame
    product_status: pd.DataFrame
    kits: list[Kit]
    # (branded product id, its own-brand twin's id): pairs the orders swap, never buy together
    twins: list[tuple[int, int]] = field(default_factory=list)

    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables keyed by SQL name, in an order that respects the foreign keys."""
        return {
            "univers": self.univers,
            "gammes": self.gammes,
            "products": self.products,
            "agences": self.agences,
            "customers": self.customers,
            "orders": self.orders,
            "order_lines": self.order_lines,
            "stock": self.stock,
            "product_status": self.product_status,
        }


@dataclass
class _Catalogue:
    """Products plus the per-row arrays the order simulation indexes (row = products row)."""

    univers: pd.DataFrame
    gammes: pd.DataFrame
    products: pd.DataFrame
    row_univers: np.ndarray  # univers index of each product
    brand: np.ndarray  # str: brand of each product (the house brand for MDD twins)
    row_qty: np.ndarray  # typical quantity per order line
    twin: np.ndarray  # row of the MDD twin of a branded product, -1 if none
    pop_rank: np.ndarray  # 0 = most popular product outside kits
    article_rows: list[np.ndarray]  # per article (template x variant): branded rows, ref order
    template_articles: list[np.ndarray]  # per template: its articles that have products


@dataclass
class _KitPlan:
    """The kits as arrays: items padded with -1, per-item inclusion probability, buyers."""

    kits: list[Kit]
    items: np.ndarray  # (n_kits, max_len) product rows
    inclusion: np.ndarray  # (n_kits, max_len) float32
    by_profession: list[np.ndarray]  # per profession: indices of the kits it buys
    weights: list[np.ndarray]  # per profession: probabilities of those kits


def generate_demo(
    *,
    seed: int = 42,
    n_products: int = DEFAULT_PRODUCTS,
    n_orders: int = 50_000,
    n_customers: int | None = None,
    months: int = 18,
    end_date: datetime.date = datetime.date(2026, 10, 31),
    n_branches: int = DEFAULT_BRANCHES,
) -> DemoWarehouse:
    """Generate the demo warehouse: `n_products` products, `n_orders` orders over the `months`
    months that end on `end_date`, `n_branches` branches with their stock. Same arguments, same
    tables."""
    _check_knobs(seed, n_products, n_orders, n_customers, months)
    if n_branches < 1:
        raise RecoError(f"n_branches must be >= 1, got {n_branches}")
    if n_customers is None:
        n_customers = max(len(PROFESSIONS), round(n_orders / ORDERS_PER_CUSTOMER))
    # The fifth stream (branches, stock, delisting) came later: the first four are spawned as
    # before, so the tables they make did not change.
    rng_catalogue, rng_kits, rng_customers, rng_orders, rng_state = (
        np.random.Generator(np.random.PCG64(s)) for s in np.random.SeedSequence(seed).spawn(5)
    )
    cat = _catalogue(rng_catalogue, n_products)
    plan = _kits(rng_kits, cat, n_products)
    cust_prof, cust_mdd, cust_activity, customers = _customers(rng_customers, n_customers)
    ord_cust, ord_prof, orders = _orders(
        rng_orders, customers["id_client"].to_numpy(), cust_prof, cust_activity, n_orders, months, end_date
    )
    order_lines = _order_lines(
        rng_orders, cat, plan, ord_cust, ord_prof, cust_mdd, orders["id_commande"].to_numpy()
    )
    agences, branch_share = _branches(rng_state, n_branches)
    customers["id_agence"] = agences["id_agence"].to_numpy()[
        rng_state.choice(n_branches, size=len(customers), p=branch_share / branch_share.sum())
    ]
    product_status = _product_status(rng_state, cat, end_date)
    stock = _stock(rng_state, cat, agences, branch_share, product_status["dereference"].to_numpy() == 1)
    return DemoWarehouse(
        univers=cat.univers,
        gammes=cat.gammes,
        products=cat.products,
        agences=agences,
        customers=customers,
        orders=orders,
        order_lines=order_lines,
        stock=stock,
        product_status=product_status,
        kits=plan.kits,
        twins=_twin_ids(cat),
    )


def _twin_ids(cat: _Catalogue) -> list[tuple[int, int]]:
    """The planted own-brand twins as product ids: (branded, own-brand)."""
    ids = cat.products["id_produit"].to_numpy()
    branded = np.flatnonzero(cat.twin >= 0)
    return [(int(a), int(b)) for a, b in zip(ids[branded], ids[cat.twin[branded]], strict=True)]


def _check_knobs(seed: int, n_products: int, n_orders: int, n_customers: int | None, months: int) -> None:
    if seed < 0:
        raise RecoError(f"seed must be >= 0, got {seed}")
    if n_products < MIN_PRODUCTS:
        raise RecoError(
            f"n_products={n_products} is too small: the demo catalogue needs at least {MIN_PRODUCTS} "
            "products to hold its kits"
        )
    if n_orders < 1:
        raise RecoError(f"n_orders must be >= 1, got {n_orders}")
    if n_customers is not None and n_customers < len(PROFESSIONS):
        raise RecoError(f"n_customers must be >= {len(PROFESSIONS)} (one per profession), got {n_customers}")
    if months < 1:
        raise RecoError(f"months must be >= 1, got {months}")


# --- catalogue -------------------------------------------------------------------------------


def _catalogue(rng: np.random.Generator, n_products: int) -> _Catalogue:
    """Expand the templates into exactly `n_products` products.

    Every template keeps its standard variant; the other variants come next; a larger catalogue
    then adds more references per article (other brands, then numbered references), more of
    them where real catalogues are deep (tiles, paints). MDD twins are added last.
    """
    templates = catalog.TEMPLATES
    art_template = np.repeat(np.arange(len(templates)), [len(t.variants) for t in templates])
    art_variant = np.concatenate([np.arange(len(t.variants)) for t in templates])
    n_mdd = round(MDD_SHARE * n_products)
    n_refs = _references_per_article(rng, art_template, art_variant, n_products - n_mdd)

    br_article = np.repeat(np.arange(len(art_template)), n_refs)
    br_ref = np.arange(len(br_article)) - np.repeat(np.cumsum(n_refs) - n_refs, n_refs)
    twin_source = _pick_mdd_twins(rng, art_template[br_article], br_ref, n_mdd)

    article = np.concatenate([br_article, br_article[twin_source]])
    ref = np.concatenate([br_ref, br_ref[twin_source]])
    is_mdd = np.repeat([False, True], [len(br_article), n_mdd])
    order = np.lexsort((is_mdd, ref, article))  # products listed by gamme, article, reference
    row_of = np.empty_like(order)
    row_of[order] = np.arange(len(order))
    article, ref, is_mdd = article[order], ref[order], is_mdd[order]
    twin = np.full(len(order), -1, dtype=np.int64)
    twin[row_of[twin_source]] = row_of[len(br_article) + np.arange(n_mdd)]

    template = art_template[article]
    univers, gammes, tpl_gamme, tpl_univers = _univers_and_gammes()
    labels, brands = _labels(template, art_variant[article], ref, is_mdd)
    products = pd.DataFrame(
        {
            "id_produit": FIRST_PRODUCT_ID + np.cumsum(rng.integers(1, 4, len(order))),
            "lib_produit": pd.Series(labels, dtype="str"),
            "id_gamme": gammes["id_gamme"].to_numpy()[tpl_gamme[template]],
            "id_marque": is_mdd.astype(np.int64),
        }
    )
    # Outside kits, standard variants and first references sell more than the long tail.
    score = np.log1p(ref) + 0.5 * np.log1p(art_variant[article]) + rng.normal(0.0, 1.0, len(order))
    pop_rank = np.empty(len(order), dtype=np.int64)
    pop_rank[np.argsort(score, kind="stable")] = np.arange(len(order))

    article_rows, template_articles = _kit_lookup(art_template, article, is_mdd)
    return _Catalogue(
        univers=univers,
        gammes=gammes,
        products=products,
        row_univers=tpl_univers[template],
        brand=np.array(brands, dtype=object),
        row_qty=np.array([t.qty for t in templates])[template],
        twin=twin,
        pop_rank=pop_rank,
        article_rows=article_rows,
        template_articles=template_articles,
    )


def _kit_lookup(
    art_template: np.ndarray, article: np.ndarray, is_mdd: np.ndarray
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Per article its branded rows (by reference), per template its articles that have rows:
    what kit building draws from, since kits are made of branded products."""
    branded = np.flatnonzero(~is_mdd)  # already sorted by (article, ref)
    bounds = np.searchsorted(article[branded], np.arange(len(art_template) + 1))
    article_rows = [branded[bounds[a] : bounds[a + 1]] for a in range(len(art_template))]
    has_rows = np.diff(bounds) > 0
    n_templates = len(catalog.TEMPLATES)
    template_articles = [np.flatnonzero((art_template == t) & has_rows) for t in range(n_templates)]
    return article_rows, template_articles


def _references_per_article(
    rng: np.random.Generator, art_template: np.ndarray, art_variant: np.ndarray, n_branded: int
) -> np.ndarray:
    """How many branded references each article gets so that they add up to `n_branded`."""
    n_articles = len(art_template)
    standard = art_variant == 0
    if n_branded <= n_articles:
        others = rng.permutation(np.flatnonzero(~standard))[: n_branded - int(standard.sum())]
        n_refs = standard.astype(np.int64)
        n_refs[others] = 1
        return n_refs
    weight = np.array([t.refs for t in catalog.TEMPLATES])[art_template]
    share = (n_branded - n_articles) * weight / weight.sum()
    extra = np.floor(share).astype(np.int64)
    remainder = n_branded - n_articles - int(extra.sum())
    extra[np.argsort(extra - share, kind="stable")[:remainder]] += 1  # largest remainders first
    return 1 + extra


def _pick_mdd_twins(
    rng: np.random.Generator, template: np.ndarray, ref: np.ndarray, n_mdd: int
) -> np.ndarray:
    """Branded rows that get an MDD twin: commodity items, mostly first references.

    Weighted sampling without replacement by exponential keys (Efraimidis-Spirakis), vectorised.
    """
    eligible = np.array([t.mdd for t in catalog.TEMPLATES])[template]
    weight = np.where(eligible, 1.0, 1e-6) / (1.0 + ref)
    keys = np.log(rng.random(len(template))) / weight
    return np.sort(np.argsort(-keys, kind="stable")[:n_mdd])


def _labels(
    template: np.ndarray, variant: np.ndarray, ref: np.ndarray, is_mdd: np.ndarray
) -> tuple[list[str], list[str]]:
    """French product labels (name, variant, brand, and a reference number once brands run out),
    and the brand of each."""
    templates = catalog.TEMPLATES
    labels, brands = [], []
    for t, v, r, mdd in zip(template.tolist(), variant.tolist(), ref.tolist(), is_mdd.tolist(), strict=True):
        tpl = templates[t]
        brand = catalog.HOUSE_BRAND if mdd else tpl.brands[r % len(tpl.brands)]
        numbered = r > 0 if mdd else r >= len(tpl.brands)
        suffix = f" réf. {r:04d}" if numbered else ""
        labels.append(f"{tpl.name} {tpl.variants[v]} {brand}{suffix}")
        brands.append(brand)
    return labels, brands


def _univers_and_gammes() -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray, np.ndarray]:
    """The univers and gammes tables (sparse ids: 10, 20... and 1010, 1020...), plus the gamme
    and univers index of each template."""
    univers_ids, univers_labels, gamme_ids, gamme_labels, gamme_univers = [], [], [], [], []
    tpl_gamme, tpl_univers = [], []
    for u, univ in enumerate(catalog.UNIVERS):
        univers_ids.append(10 * (u + 1))
        univers_labels.append(univ.label)
        for g, gamme in enumerate(univ.gammes):
            tpl_gamme += [len(gamme_ids)] * len(gamme.templates)
            tpl_univers += [u] * len(gamme.templates)
            gamme_ids.append(100 * univers_ids[-1] + 10 * (g + 1))
            gamme_labels.append(gamme.label)
            gamme_univers.append(univers_ids[-1])
    univers = pd.DataFrame(
        {
            "id_univers": np.array(univers_ids, dtype=np.int64),
            "lib_univers": pd.Series(univers_labels, dtype="str"),
        }
    )
    gammes = pd.DataFrame(
        {
            "id_gamme": np.array(gamme_ids, dtype=np.int64),
            "lib_gamme": pd.Series(gamme_labels, dtype="str"),
            "id_univers": np.array(gamme_univers, dtype=np.int64),
        }
    )
    return univers, gammes, np.array(tpl_gamme), np.array(tpl_univers)


# --- kits ------------------------------------------------------------------------------------


def _kits(rng: np.random.Generator, cat: _Catalogue, n_products: int) -> _KitPlan:
    """Instantiate every recipe several times with different variants and references.

    Variant 0 of a recipe uses the standard article of each template (and is the one a second
    profession shares); the others draw articles and references at random, so a larger
    catalogue gets more, and more distinct, kits. A draw that repeats an existing kit is
    retried, then dropped.
    """
    key_to_template = {t.key: i for i, t in enumerate(catalog.TEMPLATES)}
    n_variants = max(1, round(KITS_PER_RECIPE * math.sqrt(n_products / DEFAULT_PRODUCTS)))
    ids = cat.products["id_produit"].to_numpy()
    kits: list[Kit] = []
    rows_per_kit: list[list[int]] = []
    seen: set[tuple[int, ...]] = set()
    for recipe in catalog.RECIPES:
        tpls = [key_to_template[k] for k in recipe.keys]
        for j in range(n_variants):
            for _attempt in range(10):
                rows = [_kit_item(rng, cat, t, standard=j == 0) for t in tpls]
                signature = tuple(sorted(rows))
                if signature not in seen:
                    break
            else:
                continue
            seen.add(signature)
            rows_per_kit.append(rows)
            kits.append(
                Kit(
                    kit_id=f"{recipe.professions[0]}-{recipe.slug}-{j}",
                    name=recipe.name,
                    professions=recipe.professions if j == 0 else recipe.professions[:1],
                    product_ids=tuple(int(ids[r]) for r in rows),
                )
            )
    width = max(len(r) for r in rows_per_kit)
    items = np.full((len(kits), width), -1, dtype=np.int64)
    inclusion = np.zeros((len(kits), width), dtype=np.float32)
    for k, rows in enumerate(rows_per_kit):
        items[k, : len(rows)] = rows
        inclusion[k, : len(rows)] = [
            ANCHOR_INCLUSION,
            *rng.uniform(INCLUSION_LOW, INCLUSION_HIGH, len(rows) - 1),
        ]
    by_profession, weights = [], []
    for prof in PROFESSIONS:
        mine = np.array([k for k, kit in enumerate(kits) if prof in kit.professions], dtype=np.int64)
        w = 1.0 / (1.0 + rng.permutation(len(mine))) ** KIT_ZIPF
        by_profession.append(mine)
        weights.append(w / w.sum())
    return _KitPlan(kits=kits, items=items, inclusion=inclusion, by_profession=by_profession, weights=weights)


def _kit_item(rng: np.random.Generator, cat: _Catalogue, template: int, *, standard: bool) -> int:
    articles = cat.template_articles[template]
    if standard:
        return int(cat.article_rows[articles[0]][0])
    rows = cat.article_rows[articles[rng.integers(len(articles))]]
    return int(rows[rng.integers(len(rows))])


# --- customers and orders --------------------------------------------------------------------


def _customers(
    rng: np.random.Generator, n_customers: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, pd.DataFrame]:
    """Customers with a skewed profession mix (every profession present), a skewed activity and
    a taste for the house brand (most customers rarely take it, a few almost always do)."""
    table = catalog.PROFESSION_TABLE
    share = np.array([p.customer_share for p in table])
    prof = np.concatenate(
        [np.arange(len(table)), rng.choice(len(table), size=n_customers - len(table), p=share / share.sum())]
    )
    prof = rng.permutation(prof)
    activity = rng.lognormal(0.0, 1.0, n_customers) * np.array([p.activity for p in table])[prof]
    mdd_taste = rng.beta(0.6, 2.2, n_customers)
    customers = pd.DataFrame(
        {
            "id_client": FIRST_CUSTOMER_ID + np.cumsum(rng.integers(1, 6, n_customers)),
            "profession": pd.Series(np.array(PROFESSIONS)[prof], dtype="str"),
        }
    )
    return prof, mdd_taste, activity, customers


def _orders(
    rng: np.random.Generator,
    cust_ids: np.ndarray,
    cust_prof: np.ndarray,
    cust_activity: np.ndarray,
    n_orders: int,
    months: int,
    end_date: datetime.date,
) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """Orders in date order (ids increase with time): customer by activity, day by seasonality."""
    ord_cust = rng.choice(len(cust_prof), size=n_orders, p=cust_activity / cust_activity.sum())
    ord_prof = cust_prof[ord_cust]
    days = np.arange(np.datetime64(_window_start(end_date, months), "D"), np.datetime64(end_date, "D") + 1)
    base = _day_weights(days)
    month = days.astype("datetime64[M]").astype(np.int64) % 12
    ord_day = np.empty(n_orders, dtype=np.int64)
    for p, prof in enumerate(catalog.PROFESSION_TABLE):
        idx = np.flatnonzero(ord_prof == p)
        w = base * np.array(prof.season)[month]
        ord_day[idx] = rng.choice(len(days), size=len(idx), p=w / w.sum())
    chrono = np.lexsort((ord_cust, ord_day))
    ord_cust, ord_prof, ord_day = ord_cust[chrono], ord_prof[chrono], ord_day[chrono]
    orders = pd.DataFrame(
        {
            "id_commande": FIRST_ORDER_ID + np.cumsum(rng.integers(1, 3, n_orders)),
            "id_client": cust_ids[ord_cust],
            "date_commande": days[ord_day].astype("datetime64[s]"),
        }
    )
    return ord_cust, ord_prof, orders


def _window_start(end_date: datetime.date, months: int) -> datetime.date:
    """The day after `end_date` minus `months` months (end of month clamped): 18 months ending
    2026-10-31 start on 2025-05-01."""
    index = end_date.year * 12 + end_date.month - 1 - months
    year, month = divmod(index, 12)
    last_day = (
        datetime.date(year + (month + 1) // 12, (month + 1) % 12 + 1, 1) - datetime.timedelta(days=1)
    ).day
    return datetime.date(year, month + 1, min(end_date.day, last_day)) + datetime.timedelta(days=1)


def _day_weights(days: np.ndarray) -> np.ndarray:
    day_index = days.astype(np.int64)
    month = days.astype("datetime64[M]").astype(np.int64) % 12
    day_of_month = (days - days.astype("datetime64[M]")).astype(np.int64) + 1
    weekday = (day_index + 3) % 7  # 1970-01-01 was a Thursday
    holiday = np.zeros(len(days), dtype=bool)
    for m, d in _HOLIDAYS:
        holiday |= (month == m - 1) & (day_of_month == d)
    trend = 1.0 + _YEARLY_GROWTH * (day_index - day_index[0]) / 365.25
    return _MONTH_FACTOR[month] * _WEEKDAY_FACTOR[weekday] * trend * ~holiday


# --- order lines -----------------------------------------------------------------------------


def _order_lines(
    rng: np.random.Generator,
    cat: _Catalogue,
    plan: _KitPlan,
    ord_cust: np.ndarray,
    ord_prof: np.ndarray,
    cust_mdd: np.ndarray,
    order_ids: np.ndarray,
) -> pd.DataFrame:
    """Each order: one or two kits of its profession (most of each kit's items), a few items
    bought outside kits, MDD twins swapped in by customers who like the house brand, and
    quantities scaled by the size of the job. Repeated products are merged into one line."""
    n_orders = len(ord_cust)
    kit_order, kit_rows = _kit_lines(rng, plan, ord_prof)
    noise_order, noise_rows = _noise_lines(rng, cat, ord_prof)
    line_order = np.concatenate([kit_order, noise_order])
    line_row = np.concatenate([kit_rows, noise_rows])

    twin = cat.twin[line_row]
    swap = (twin >= 0) & (rng.random(len(line_row)) < cust_mdd[ord_cust[line_order]])
    line_row = np.where(swap, twin, line_row)

    job_size = (
        rng.lognormal(0.0, 0.5, n_orders) * np.array([p.job_size for p in catalog.PROFESSION_TABLE])[ord_prof]
    )
    quantity = 1 + rng.poisson((cat.row_qty[line_row] - 1.0) * job_size[line_order])

    n_rows = len(cat.products)
    key = line_order * n_rows + line_row
    by_key = np.argsort(key, kind="stable")
    key = key[by_key]
    first = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    quantity = np.add.reduceat(quantity[by_key], first)
    key = key[first]
    return pd.DataFrame(
        {
            "id_commande": order_ids[key // n_rows],
            "id_produit": cat.products["id_produit"].to_numpy()[key % n_rows],
            "quantite": quantity.astype(np.int64),
        }
    )


def _kit_lines(
    rng: np.random.Generator, plan: _KitPlan, ord_prof: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(order, product row) of the kit items bought; an order always gets its first kit's anchor,
    so no order is empty."""
    n_orders = len(ord_prof)
    n_slots = 1 + (rng.random(n_orders) < SECOND_KIT_PROB)
    slot_order = np.repeat(np.arange(n_orders), n_slots)
    slot_prof = ord_prof[slot_order]
    slot_kit = np.empty(len(slot_order), dtype=np.int64)
    for p in range(len(PROFESSIONS)):
        idx = np.flatnonzero(slot_prof == p)
        slot_kit[idx] = rng.choice(plan.by_profession[p], size=len(idx), p=plan.weights[p])
    items = plan.items[slot_kit]
    taken = (items >= 0) & (rng.random(items.shape, dtype=np.float32) < plan.inclusion[slot_kit])
    taken[np.cumsum(n_slots) - n_slots, 0] = True
    slot, col = np.nonzero(taken)
    return slot_order[slot], items[slot, col]


def _noise_lines(
    rng: np.random.Generator, cat: _Catalogue, ord_prof: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(order, product row) of items bought outside kits: Zipf-like popularity, tilted towards
    the univers of the customer's trade."""
    n_noise = rng.poisson(NOISE_MEAN, len(ord_prof))
    noise_order = np.repeat(np.arange(len(ord_prof)), n_noise)
    noise_prof = ord_prof[noise_order]
    noise_rows = np.empty(len(noise_order), dtype=np.int64)
    popularity = 1.0 / (1.0 + cat.pop_rank) ** NOISE_ZIPF
    for p, prof in enumerate(catalog.PROFESSION_TABLE):
        cumulative = np.cumsum(popularity * _univers_affinity(prof)[cat.row_univers])
        idx = np.flatnonzero(noise_prof == p)
        draws = np.searchsorted(cumulative, rng.random(len(idx)) * cumulative[-1], side="right")
        noise_rows[idx] = np.minimum(draws, len(cumulative) - 1)
    return noise_order, noise_rows


def _univers_affinity(prof: catalog.Profession) -> np.ndarray:
    """Weight of each univers for a trade: its own univers, then what every trade buys."""
    return np.array(
        [
            TRADE_AFFINITY
            if u.code in prof.univers
            else UNIVERSAL_AFFINITY
            if u.code in catalog.UNIVERSAL_UNIVERS
            else OTHER_AFFINITY
            for u in catalog.UNIVERS
        ]
    )


# --- catalogue state: branches, stock, delisted products ----------------------------------------


def _branches(rng: np.random.Generator, n_branches: int) -> tuple[pd.DataFrame, np.ndarray]:
    """The branches and the share of the catalogue each lists: a few big depots, many small
    counters (sizes spread evenly on a log scale between the two bounds, in random order)."""
    low, high = BRANCH_LISTED_SHARE
    share = np.exp(np.linspace(np.log(high), np.log(low), n_branches)) if n_branches > 1 else np.array([high])
    share = share[rng.permutation(n_branches)]
    names = [
        f"Agence {_TOWNS[b % len(_TOWNS)]}" + (f" {b // len(_TOWNS) + 1}" if b >= len(_TOWNS) else "")
        for b in range(n_branches)
    ]
    agences = pd.DataFrame(
        {
            "id_agence": FIRST_BRANCH_ID + np.arange(n_branches, dtype=np.int64),
            "lib_agence": pd.Series(names, dtype="str"),
        }
    )
    return agences, share


def _product_status(rng: np.random.Generator, cat: _Catalogue, end_date: datetime.date) -> pd.DataFrame:
    """Every product's status: DELIST_MONTHLY of the still active catalogue is delisted in each
    of the DELIST_MONTHS months before `end_date`, on a random day of that month."""
    n = len(cat.products)
    delisted_on = np.full(n, np.datetime64("NaT"), dtype="datetime64[s]")
    active = np.ones(n, dtype=bool)
    end = np.datetime64(end_date, "D")
    for m in range(DELIST_MONTHS, 0, -1):
        month_start = end - np.timedelta64(30 * m, "D")
        pool = np.flatnonzero(active)
        chosen = rng.choice(pool, size=round(DELIST_MONTHLY * len(pool)), replace=False)
        active[chosen] = False
        days = rng.integers(0, 30, len(chosen))
        delisted_on[chosen] = (month_start + days.astype("timedelta64[D]")).astype("datetime64[s]")
    return pd.DataFrame(
        {
            "id_produit": cat.products["id_produit"].to_numpy(),
            "dereference": (~active).astype(np.int64),
            "date_dereferencement": delisted_on,
            "lib_marque": pd.Series(cat.brand, dtype="str"),
        }
    )


def _stock(
    rng: np.random.Generator,
    cat: _Catalogue,
    agences: pd.DataFrame,
    share: np.ndarray,
    delisted: np.ndarray,
) -> pd.DataFrame:
    """The (branch, product) rows: a branch lists a product with a probability that grows with
    its size and the product's popularity (small branches keep the best sellers); OUT_OF_STOCK_SHARE
    of the listed rows are at 0 units, ORDERABLE_SHARE of those can still be ordered. A delisted
    product keeps a listing in DELISTED_RESIDUAL_STOCK of the branches (old stock on a shelf)."""
    n = len(cat.products)
    popular = 1.0 - cat.pop_rank / max(n - 1, 1)  # 1 = best seller outside kits, 0 = tail
    p_listed = np.clip(share[:, None] * (0.45 + 1.1 * popular[None, :]), 0.0, 0.98)
    p_listed[:, delisted] = DELISTED_RESIDUAL_STOCK
    branch, row = np.nonzero(rng.random(p_listed.shape) < p_listed)
    typical = cat.row_qty[row]
    qty = rng.poisson(4.0 * typical + 2.0) + 1
    out = rng.random(len(row)) < OUT_OF_STOCK_SHARE
    qty[out] = 0
    orderable = (out & (rng.random(len(row)) < ORDERABLE_SHARE)) | (~out & (rng.random(len(row)) < 0.8))
    return pd.DataFrame(
        {
            "id_agence": agences["id_agence"].to_numpy()[branch],
            "id_produit": cat.products["id_produit"].to_numpy()[row],
            "qte_stock": qty.astype(np.int64),
            "commandable": orderable.astype(np.int64),
        }
    )


# --- kits file -------------------------------------------------------------------------------


def write_kits(kits: Sequence[Kit], path: Path) -> None:
    """Save the planted kits as JSON, atomically: a demo test or notebook reads them back."""
    doc = {
        "format": KITS_FORMAT,
        "kits": [
            {
                "kit_id": k.kit_id,
                "name": k.name,
                "professions": list(k.professions),
                "product_ids": list(k.product_ids),
            }
            for k in kits
        ],
    }
    atomic_write_text(path, json.dumps(doc, ensure_ascii=False, indent=1) + "\n")


def read_kits(path: Path) -> list[Kit]:
    """Read a file written by write_kits; a missing or malformed file is a RecoError."""
    doc = _read_demo_file(path, "kits", KITS_FORMAT)
    try:
        return [
            Kit(
                kit_id=str(k["kit_id"]),
                name=str(k["name"]),
                professions=tuple(str(p) for p in k["professions"]),
                product_ids=tuple(int(i) for i in k["product_ids"]),
            )
            for k in doc["kits"]
        ]
    except (KeyError, TypeError, ValueError) as exc:
        raise RecoError(f"{path}: malformed kit entry ({exc!r})") from None


def _read_demo_file(path: Path, what: str, format_: str) -> dict:
    """The JSON object of a demo `what` file (kits, twins) of format `format_`, or a RecoError
    naming the file and what is wrong with it."""
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RecoError(f"{path}: {what} file not found") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RecoError(f"{path}: cannot read {what} file ({exc})") from None
    if not isinstance(doc, dict) or doc.get("format") != format_:
        raise RecoError(f"{path}: not a demo {what} file (expected format {format_!r})")
    return doc


# --- twins file ------------------------------------------------------------------------------


def twins_path(kits_path: Path) -> Path:
    """Where `reco demo-warehouse` writes the planted twins: beside the kits file."""
    return Path(kits_path).with_name(TWINS_FILE)


def write_twins(twins: Sequence[tuple[int, int]], path: Path) -> None:
    """Save the planted own-brand twins (branded id, own-brand id) as JSON, atomically: the
    ground truth `reco eval` measures substitutes against on the demo."""
    doc = {"format": TWINS_FORMAT, "twins": [[int(a), int(b)] for a, b in twins]}
    atomic_write_text(path, json.dumps(doc) + "\n")


def read_twins(path: Path) -> list[tuple[int, int]]:
    """Read a file written by write_twins; a missing or malformed file is a RecoError."""
    doc = _read_demo_file(path, "twins", TWINS_FORMAT)
    try:
        return [(int(a), int(b)) for a, b in doc["twins"]]
    except (KeyError, TypeError, ValueError) as exc:
        raise RecoError(f"{path}: malformed twin entry ({exc!r})") from None
