"""Helpers of the reco-materiaux DAGs: what a task needs besides plain reco_core calls.

An ordinary package installed with the project (wheel, editable install or image alike), not an
Airflow plugin: Airflow's plugin manager imports every file of its plugins folder as a top-level
module named after the file, which would run these modules twice and could shadow real packages
(`serving`, `config`...). The Great Expectations suites are its package data (`expectations/`),
found through importlib.resources wherever the package is installed.

Modules import only the standard library (and Airflow's SDK, which a DAG file imports anyway)
at the top: DAG files import these helpers at parse time, and parsing must stay fast. Great
Expectations, pandas, requests and reco_core are imported inside the functions that need them,
which only run inside tasks.
"""
