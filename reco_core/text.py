"""Folding of one string as people type it: the pure-Python twin of search.fold.

Apart from search.py (pyarrow, for whole label columns) so that reco_core.ranking, which folds a
profession name per request and is imported when the DAGs are parsed, does not load pyarrow.
"""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")


def fold_one(text: str) -> str:
    """Lower case, without accents nor repeated or surrounding spaces ("plâtrier " -> "platrier")."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    return _SPACES.sub(" ", bare.lower()).strip()
