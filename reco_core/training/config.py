"""Training configuration: the original's flags (same names, same defaults) as one validated object.

The CLI, the Airflow task and the tests build a TrainConfig; an unknown or out-of-range value is
refused here, before any data is read. It is the only place where a default, a bound, a choice or
the help of a training setting is written: the `reco train` flags (reco_core.cli._fields) and the
DAG's Params (reco_airflow.params) are built from these fields.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from reco_core.artifacts.layout import TAG_RE


class TrainConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # inputs / outputs
    ventes: Path
    details: Path
    pairs: Path | None = None
    artifact_root: Path = Path("artifacts")
    run_tag: str | None = Field(None, description="suffix of the run name run_YYYYMMDD_HHMMSS_<tag>")
    # LightFM
    no_components: int = Field(64, ge=2, le=1024, description="dimension of the item and user vectors")
    epochs: int = Field(30, ge=1, le=1000, description="maximum epochs (early stopping may stop sooner)")
    lr: float = Field(0.05, gt=0, le=10, description="learning rate")
    loss: Literal["warp", "bpr", "logistic", "warp-kos"] = Field("warp", description="LightFM loss")
    threads: int = Field(8, ge=1, le=256, description="capped at the number of CPUs")
    patience: int = Field(5, ge=1, description="epochs without validation improvement before stopping")
    # building & filtering
    min_occ: int = Field(1, ge=1, description="minimum sales of a modelled product")
    include_all_items: bool = Field(False, description="model the whole catalogue, sold or not")
    cold_identity_token: bool = Field(True, description="0: no identity feature for unsold items")
    symmetrize_pairs: bool = Field(False, description="add B->A wherever only A->B is known")
    max_items: int = Field(0, ge=0, description="keep the N best sellers (0 = no cap)")
    topk_per_prof: int = Field(3000, ge=1, description="popular items kept per profession")
    make_current_symlink: bool = Field(False, description="promote the run (artifacts/run_current)")
    # additions (documented in the README): pair index size and scoring, validation, seed
    pair_topk: int = Field(500, ge=1, description="pairs kept per item and profession")
    pair_alpha: float = Field(2.0, ge=0, description="shrinkage of P(B|A) for rarely sold A")
    min_pair_count: int = Field(1, ge=1, description="drop pairs seen fewer times")
    val_baskets: int = Field(2000, ge=0, description="held-out baskets for early stopping")
    seed: int = Field(42, description="random seed")
    # learned relevance (training/blend.py): held-out training orders, samples, EASE table
    blend_baskets: int = Field(
        20000,
        ge=0,
        description="training orders held out to learn the blend on, at most (a fifth of them, or up to half "
        "to reach 1,000); 0 = no learned blend",
    )
    blend_samples: int = Field(10000, ge=100, description="baskets drawn from them to learn the blend on")
    ease_items: int = Field(20000, ge=2, description="most sold items of the EASE table")
    ease_topk: int = Field(200, ge=1, description="EASE entries kept per item")

    @field_validator("run_tag")
    @classmethod
    def _tag(cls, value: str | None) -> str | None:
        if value is not None and not TAG_RE.match(value):
            raise ValueError("must be 1-64 characters among letters, digits, '_', '.', '-'")
        return value
