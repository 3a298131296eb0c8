"""Product search for people: find the run's products by label (prefix or substring) or by exact id.

The playground page's search box calls it as someone types, over up to a few hundred thousand
products, so everything is vectorised: labels are folded once when a run is loaded (lower case,
accents and repeated spaces removed: "platre" finds "Plâtre") with Arrow string kernels, and a
query is a few Arrow kernels over the folded labels plus a partial sort of the matches.

Only the run's items are searched (its item index): a product the run does not know could be put
in a basket but would be ignored by the ranker, which is not what someone trying baskets wants.

Order of the results: the product whose id is the query, then labels that start with the query,
then labels that contain every word of it; within each group the most bought first (train_pop),
then by folded label. At most `limit` results (1..MAX_LIMIT).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from reco_core import columns as C
from reco_core.artifacts.columnar import ProductMeta
from reco_core.errors import RecoError
from reco_core.text import fold_one

MAX_LIMIT = 50
MAX_QUERY_CHARS = 100

# Match groups, best first: the order results are returned in.
_EXACT_ID, _PREFIX, _SUBSTRING, _NO_MATCH = 0, 1, 2, 3


def fold(texts: pa.Array) -> pa.Array:
    """Lower case, without accents nor repeated or surrounding spaces: how labels and queries compare."""
    out = pc.replace_substring_regex(pc.utf8_normalize(texts, "NFKD"), r"\p{Mn}+", "")
    out = pc.replace_substring_regex(pc.utf8_lower(out), r"\s+", " ")
    return pc.utf8_trim_whitespace(out)


@dataclass(frozen=True, eq=False)
class ProductSearchIndex:
    """The run's items with their folded labels, aligned on the item index."""

    item_ids: np.ndarray  # int64 [n_items]
    folded: pa.StringArray  # folded LIB_PRODUIT, "" when the run has no label
    popularity: np.ndarray  # float64 [n_items]: higher first within a match group

    @classmethod
    def build(
        cls, item_ids: np.ndarray, product_meta: ProductMeta, popularity: np.ndarray
    ) -> ProductSearchIndex:
        """`product_meta` as the loaded run holds it (columns: the labels are gathered and folded
        by Arrow kernels, no Python string per product); `popularity` aligned on `item_ids`."""
        labels = product_meta.str_column(C.LIB_PRODUIT, item_ids)
        return cls(
            item_ids=np.asarray(item_ids, dtype=np.int64),
            folded=fold(labels),
            popularity=np.asarray(popularity, dtype=np.float64),
        )

    def search(self, query: str, limit: int = 20) -> np.ndarray:
        """Item indices of the products matching `query`, best first, at most `limit` (see module doc).

        Raises RecoError naming `q` or `limit` when out of bounds. A query that folds to nothing
        (only spaces) matches nothing.
        """
        if not 1 <= limit <= MAX_LIMIT:
            raise RecoError(f"limit: must be between 1 and {MAX_LIMIT}, got {limit}")
        if len(query) > MAX_QUERY_CHARS:
            raise RecoError(f"q: at most {MAX_QUERY_CHARS} characters, got {len(query)}")
        needle = fold_one(query)
        if not needle:
            return np.empty(0, dtype=np.int64)
        group = np.full(len(self.item_ids), _NO_MATCH, dtype=np.int8)
        words = needle.split(" ")
        contains = pc.match_substring(self.folded, words[0])
        for word in words[1:]:
            contains = pc.and_(contains, pc.match_substring(self.folded, word))
        group[contains.to_numpy(zero_copy_only=False)] = _SUBSTRING
        group[pc.starts_with(self.folded, needle).to_numpy(zero_copy_only=False)] = _PREFIX
        if needle.isdigit():
            group[self.item_ids == int(needle)] = _EXACT_ID  # beyond int64: matches nothing
        found: list[np.ndarray] = []
        left = limit
        for rank in (_EXACT_ID, _PREFIX, _SUBSTRING):
            if left > 0 and len(members := np.flatnonzero(group == rank)):
                best = self._best(members, left)
                found.append(best)
                left -= len(best)
        return np.concatenate(found) if found else np.empty(0, dtype=np.int64)

    def _best(self, members: np.ndarray, n: int) -> np.ndarray:
        """The `n` most popular of `members`, ties by folded label, without sorting all of them.

        A common word matches most of the catalogue: only the items at least as popular as the
        n-th (ties kept, so the label tie-break stays exact) are sorted.
        """
        minus_pop = -self.popularity[members]
        if len(members) > n:
            members = members[minus_pop <= np.partition(minus_pop, n - 1)[n - 1]]
            minus_pop = -self.popularity[members]
        labels = pc.take(self.folded, pa.array(members)).to_numpy(zero_copy_only=False)
        return members[np.lexsort((labels, minus_pop))[:n]]
