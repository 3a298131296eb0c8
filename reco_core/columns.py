"""Names that form the data contract of the original product.

Every column and file name used between extraction, training, evaluation and serving is
spelled once, here, so that a rename is one edit and a typo is an ImportError instead of a
silently empty column.
"""

from typing import Final

# --- df_ventes_grouped.parquet: one row per distinct (profession, sorted basket) -----------
PROFESSION_CLIENT: Final = "PROFESSION_CLIENT"
NB_OCCURENCES_COMMANDE: Final = "NB_OCCURENCES_COMMANDE"
LIST_ID_PRODUITS: Final = "LIST_ID_PRODUITS"

# --- df_details_produits.parquet: one row per product ----------------------------------------
ID_PRODUIT: Final = "ID_PRODUIT"
ID_GAMME: Final = "ID_GAMME"
ID_UNIVERS: Final = "ID_UNIVERS"
LIB_PRODUIT: Final = "LIB_PRODUIT"
LIB_GAMME: Final = "LIB_GAMME"
LIB_UNIVERS: Final = "LIB_UNIVERS"
ID_MARQUE: Final = "ID_MARQUE"  # 1 = own brand (MDD, private label)

# --- df_couple_produit.parquet: co-purchase counts, one row per (A, B, profession) -----------
ID_PRODUIT_A: Final = "ID_PRODUIT_A"
ID_PRODUIT_B: Final = "ID_PRODUIT_B"
OCCURENCE_PAIR: Final = "OCCURENCE_PAIR"

VENTES_COLUMNS: Final = (PROFESSION_CLIENT, NB_OCCURENCES_COMMANDE, LIST_ID_PRODUITS)
DETAILS_REQUIRED: Final = (ID_PRODUIT,)
DETAILS_OPTIONAL: Final = (ID_GAMME, ID_UNIVERS, LIB_PRODUIT, LIB_GAMME, LIB_UNIVERS, ID_MARQUE)
DETAILS_COLUMNS: Final = DETAILS_REQUIRED + DETAILS_OPTIONAL
PAIRS_COLUMNS: Final = (ID_PRODUIT_A, ID_PRODUIT_B, OCCURENCE_PAIR, PROFESSION_CLIENT)

# --- file names ------------------------------------------------------------------------------
VENTES_FILE: Final = "df_ventes_grouped.parquet"
DETAILS_FILE: Final = "df_details_produits.parquet"
PAIRS_FILE: Final = "df_couple_produit.parquet"
# Orders of the last --holdout-days (or a seeded random share), same schema as VENTES_FILE;
# never read by training, read by evaluation and the promotion gate.
HOLDOUT_FILE: Final = "df_ventes_holdout.parquet"
# What an extraction did (window, row counts, timings): read by the data checks to compare
# a new extraction with the previous successful one.
EXTRACTION_SUMMARY_FILE: Final = "extraction.json"

# --- professions -----------------------------------------------------------------------------
ANY_PROFESSION: Final = "ANY"  # pairs over all professions together; never a real profession
DEFAULT_PROFESSION: Final = "AUTRE"  # given to customers whose profession is unknown
