"""Training configuration: the original's flags (same names, same defaults) as one validated object.

The CLI, the Airflow task and the tests build a TrainConfig; an unknown or out-of-range value is
refused here, before any data is read.
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
    run_tag: str | None = None
    # LightFM
    no_components: int = Field(64, ge=2, le=1024)
    epochs: int = Field(30, ge=1, le=1000)
    lr: float = Field(0.05, gt=0, le=10)
    loss: Literal["warp", "bpr", "logistic", "warp-kos"] = "warp"
    threads: int = Field(8, ge=1, le=256)
    patience: int = Field(5, ge=1)
    # building & filtering
    min_occ: int = Field(1, ge=1)
    include_all_items: bool = False
    cold_identity_token: bool = True
    symmetrize_pairs: bool = False
    max_items: int = Field(0, ge=0)  # 0 = no cap
    topk_per_prof: int = Field(3000, ge=1)
    make_current_symlink: bool = False
    # additions (documented in the README): pair index size and scoring, validation, seed
    pair_topk: int = Field(500, ge=1)
    pair_alpha: float = Field(2.0, ge=0)
    min_pair_count: int = Field(1, ge=1)
    val_baskets: int = Field(2000, ge=0)
    seed: int = 42
    # learned relevance (training/blend.py): held-out training orders, samples, EASE table
    blend_baskets: int = Field(20000, ge=0)  # 0 = no learned blend (and no EASE table)
    blend_samples: int = Field(10000, ge=100)
    ease_items: int = Field(20000, ge=2)
    ease_topk: int = Field(200, ge=1)

    @field_validator("run_tag")
    @classmethod
    def _tag(cls, value: str | None) -> str | None:
        if value is not None and not TAG_RE.match(value):
            raise ValueError("must be 1-64 characters among letters, digits, '_', '.', '-'")
        return value
