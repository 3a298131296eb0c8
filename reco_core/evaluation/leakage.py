"""No evaluation on training orders unless asked for: the ventes file against the run's inputs.

A run records the sha256 of the ventes file it was trained on (versions.json, "inputs"). An
evaluation whose orders are that file measures memory, not prediction, and would let a candidate
that overfits pass the promotion gate; so it is refused unless --allow-train-orders says it is
meant (a smoke test, a sanity check), and the report then carries a warning nobody can miss.
The default input, df_ventes_holdout.parquet, holds the orders extraction kept out of training.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from reco_core.artifacts.run import RunArtifacts
from reco_core.errors import RecoError

TRAIN_ORDERS_WARNING = (
    "EVALUATED WITH --allow-train-orders: these orders may be training orders of the run; "
    "the metrics are optimistic and must not be used to compare or promote runs"
)


def sha256_file(path: Path | str) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def check_leakage(ventes: Path | str, runs: list[RunArtifacts], *, allow_train_orders: bool) -> dict:
    """What the report says about leakage; RecoError when `ventes` is a run's training input."""
    digest = sha256_file(ventes)
    trained_on = [run.run_id for run in runs if _training_sha256(run) == digest]
    unknown = [run.run_id for run in runs if _training_sha256(run) is None]
    if trained_on and not allow_train_orders:
        raise RecoError(
            f"{ventes} is the training input of {', '.join(trained_on)} (same sha256 as in versions.json): "
            "evaluating on training orders leaks; evaluate on the holdout (df_ventes_holdout.parquet) "
            "or pass --allow-train-orders",
            exit_code=2,
        )
    warnings = [TRAIN_ORDERS_WARNING] if allow_train_orders else []
    if unknown:
        warnings.append(f"{', '.join(unknown)}: versions.json records no training input; leakage not checked")
    return {
        "ventes_sha256": digest,
        "allow_train_orders": allow_train_orders,
        "training_input_of": trained_on,
        "warnings": warnings,
    }


def _training_sha256(run: RunArtifacts) -> str | None:
    inputs = run.versions.get("inputs")
    ventes = inputs.get("ventes") if isinstance(inputs, dict) else None
    return ventes.get("sha256") if isinstance(ventes, dict) else None
