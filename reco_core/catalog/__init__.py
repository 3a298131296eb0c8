"""The catalogue state: what can be sold where, refreshed apart from the model.

The model's view of the catalogue is frozen when it is trained; what a branch stocks and what
has been delisted changes every hour. So the catalogue state is its own small directory in the
artifact root (`catalog_YYYYMMDD_HHMMSS/`), extracted from the warehouse (`reco catalog
extract`, the `reco_catalog_refresh` DAG), verified against its manifest, promoted atomically
through `catalog_current` and rolled back like a run, by the same store code
(reco_core.artifacts.store with layout.CATALOG). The API follows `catalog_current` as it follows
`run_current`; ranking filters with it (reco_core.ranking.controls).
"""
