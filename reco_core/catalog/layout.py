"""File names of a catalogue-state directory, and its kind for the artifact store.

    catalog_YYYYMMDD_HHMMSS[_tag]/
        product_ids.npy        int64 [n_products]: the catalogue's product ids, strictly ascending
        product_delisted.npy   int8 [n_products]: 1 = delisted (déréférencé), never recommended
        product_brand.npy      int32 [n_products]: index into catalog.json's "brands", -1 = none
        branch_ids.npy         int64 [n_branches]: the branches' ids (ID_AGENCE), strictly ascending
        availability_bits.npy  uint8 [n_branches, ceil(n_products / 8)]: bit p of row b (little
                               bit order, np.packbits(..., bitorder="little")) = product p is in
                               stock or orderable at branch b; padding bits 0
        catalog.json           format, counts, branches' labels and customers, brands, source
        manifest.json          sha256 and size of every other file (reco_core.artifacts.manifest)

Per-branch availability is a bitset in the catalogue's product order, memory-mapped by the API
workers (they share the pages): 200 branches x 300k products is 7.5 MB. A request reads one row
and tests only its candidates' bits, never the whole catalogue.
"""

from __future__ import annotations

from typing import Final

from reco_core.artifacts.layout import Kind, stamped_name_re

PRODUCT_IDS: Final = "product_ids.npy"
PRODUCT_DELISTED: Final = "product_delisted.npy"
PRODUCT_BRAND: Final = "product_brand.npy"
BRANCH_IDS: Final = "branch_ids.npy"
AVAILABILITY_BITS: Final = "availability_bits.npy"
CATALOG_META: Final = "catalog.json"
CATALOG_FORMAT: Final = "reco-catalog/1"
CATALOG_FILES: Final = (
    PRODUCT_IDS,
    PRODUCT_DELISTED,
    PRODUCT_BRAND,
    BRANCH_IDS,
    AVAILABILITY_BITS,
    CATALOG_META,
)

CATALOG_PREFIX: Final = "catalog_"
CATALOG: Final = Kind(
    noun="catalogue state",
    prefix=CATALOG_PREFIX,
    current_link="catalog_current",
    promotion_log="catalog_promotions.jsonl",
    name_re=stamped_name_re(CATALOG_PREFIX),
    required_files=CATALOG_FILES,
    verifier="reco_core.catalog.state:verify_catalog",
)
