"""Parse the dags folder in a fresh Airflow process and print what a test needs to know, as JSON.

Run by test_dag_integrity.py as `python dag_parse_probe.py DAGS_FOLDER`, in the environment of
scripts/airflow-env.sh (scratch AIRFLOW_HOME), with AIRFLOW__SECRETS__BACKEND naming
RecordingBackend (this directory on PYTHONPATH) and RECORD_FILE where it writes. Airflow reads
its configuration once per process, which is why this runs in a subprocess, not inside pytest.

Every Variable or Connection lookup goes through the secrets backends, custom one first, so the
backend's record file lists any lookup the DAG files make while they are parsed. A lookup made
after parsing (`probe_control`) proves the recording works.
"""

from __future__ import annotations

import json
import os
import sys
import time

from airflow.sdk.bases.secrets_backend import BaseSecretsBackend

# Modules that cost seconds to import or that only tasks need: parsing must not load them.
HEAVY_MODULES = (
    "great_expectations",
    "pandas",
    "pyarrow",
    "lightfm",
    "scipy",
    "reco_core.training.pipeline",  # TrainConfig (reco_core.training.config) is light: Params use it
    "reco_core.evaluation",
    "requests",
)


class RecordingBackend(BaseSecretsBackend):
    """Knows no secret; appends every lookup to the file named by $RECORD_FILE."""

    def _record(self, kind: str, key: str) -> None:
        with open(os.environ["RECORD_FILE"], "a", encoding="utf-8") as fh:
            fh.write(json.dumps([kind, key]) + "\n")

    def get_conn_value(self, conn_id: str, team_name: str | None = None) -> str | None:
        self._record("connection", conn_id)
        return None

    def get_variable(self, key: str, team_name: str | None = None) -> str | None:
        self._record("variable", key)
        return None

    def get_config(self, key: str) -> str | None:
        return None


def _lookups() -> list[list[str]]:
    path = os.environ["RECORD_FILE"]
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def main(dags_folder: str) -> None:
    from airflow.dag_processing.dagbag import DagBag
    from airflow.sdk import Variable

    before = set(sys.modules)
    start = time.perf_counter()
    bag = DagBag(dag_folder=dags_folder)
    seconds = time.perf_counter() - start
    loaded = sorted(
        {m for m in set(sys.modules) - before for h in HEAVY_MODULES if m == h or m.startswith(h + ".")}
    )
    parse_lookups = _lookups()
    Variable.get("probe_control", default=None)
    dags = {}
    for dag_id, dag in bag.dags.items():
        dags[dag_id] = {
            "schedule": str(dag.schedule) if dag.schedule is not None else None,
            "catchup": dag.catchup,
            "max_active_runs": dag.max_active_runs,
            "params": {key: dag.params[key] for key in dag.params},
            "dag_callbacks": bool(dag.on_failure_callback),
            "tasks": {
                task.task_id: {
                    "downstream": sorted(task.downstream_task_ids),
                    "failure_callbacks": [type(cb).__name__ for cb in task.on_failure_callback or []],
                    "retries": task.retries,
                    "doc_md": task.doc_md,
                    "group": task.task_group.group_id,
                    "extra_links": sorted(link.name for link in task.operator_extra_links),
                }
                for task in dag.tasks
            },
        }
    print(
        json.dumps(
            {
                "import_errors": bag.import_errors,
                "seconds": seconds,
                "heavy_modules_loaded": sorted(
                    {m.split(".")[0] if "reco_core" not in m else m for m in loaded}
                ),
                "parse_lookups": parse_lookups,
                "all_lookups": _lookups(),
                "dags": dags,
            },
            default=str,
        )
    )


if __name__ == "__main__":
    main(sys.argv[1])
