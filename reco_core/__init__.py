"""reco_core: the library behind reco-materiaux (basket -> complements).

Everything with logic lives here; the CLI, the Airflow DAG tasks and the API call these
functions, so one behaviour is tested once. Neither Airflow nor FastAPI is imported here.
"""

__version__ = "0.1.0"
