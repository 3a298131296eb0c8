"""`python -m reco_airflow.demo ARTIFACT_ROOT URL`: what `make demo` prints once the DAG ran.

The promoted run, the gate's verdict table from its evaluation document, and an example request
on one of the post-promotion check's canary baskets, so the curl shown returns real products.
"""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path


def summary(artifact_root: Path, url: str) -> str:
    from reco_airflow.serving_client import canary_baskets
    from reco_core.artifacts.store import current_run
    from reco_core.gate import evaluation_path, read_decision

    run = current_run(artifact_root)
    if run is None:
        return f"no run promoted under {artifact_root} (run_current missing)"
    lines = [f"promoted run: {run}"]
    document = evaluation_path(artifact_root, run.name)
    if document.is_file():
        lines += ["", read_decision(document)["table"]]
    canary = canary_baskets(run)[0]
    body = shlex.quote(json.dumps(canary.body(k=5) | {"expand": True}, ensure_ascii=False))
    lines += [
        "",
        "example request, once the API is up:",
        f"  curl -s -X POST {url}/recommend_panier -H 'Content-Type: application/json' -d {body}",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(summary(Path(sys.argv[1]), sys.argv[2].rstrip("/")))
