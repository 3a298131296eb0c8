"""Helpers of the reco-materiaux DAGs: what a task needs besides plain reco_core calls.

Imported as `plugins.reco_airflow` (the package is installed with the repo), never loaded by
Airflow's plugin manager: `plugins/.airflowignore` excludes this folder, because the plugin
manager imports every file of the plugins folder as a top-level module named after the file,
which would run these modules twice and could shadow real packages (`serving`, `config`...).

Modules import only the standard library (and Airflow's SDK, which a DAG file imports anyway)
at the top: DAG files import these helpers at parse time, and parsing must stay fast. Great
Expectations, pandas, requests and reco_core are imported inside the functions that need them,
which only run inside tasks.
"""
