"""Every environment variable reco-materiaux reads, in one place: the only module that reads the
environment.

Before, seven modules read variables of their own, with their own defaults (the log level was
WARNING in one and INFO in another; the CLI and the API read ARTIFACT_DIR while the Airflow
helpers read RECO_ARTIFACT_ROOT). Now each setting has one name, one default and one parser:

- `RecoSettings`: what every process reads (the `reco` CLI, the API, the Airflow tasks): the
  artifact store, the log level, the profiles file, the model-pickle switch and the ranking
  overrides (environment variables named like the BasketParams fields).
- `JobSettings`: what only the batch jobs read (the CLI and the Airflow tasks, never the API):
  the data directory, the warehouse URL and the debug switch.

The API's settings (serving/settings.py) and the Airflow helpers' (reco_airflow/config.py) extend
these classes. An entry point builds its settings once (`RecoSettings()`, `JobSettings()`) and
hands them down; a library default builds them when it is given none. Names are case-insensitive
and an empty variable counts as unset (what an env file with `NAME=` means), except the ranking
overrides, which are spelled exactly like the parameters (docs/profiles.md).
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import AliasChoices, Field, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

if TYPE_CHECKING:
    from reco_core.ranking.profiles import Profile

# The production profiles are package data of reco_core, so that the API and the promotion gate
# read the same file wherever reco_core is installed (wheel, editable install, image).
SHIPPED_PROFILES = Path(str(resources.files("reco_core") / "ranking" / "panier_params.json"))
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class RecoSettings(BaseSettings):
    """The settings every reco-materiaux process reads (see the module doc)."""

    model_config = SettingsConfigDict(
        case_sensitive=False, env_ignore_empty=True, frozen=True, extra="ignore", populate_by_name=True
    )

    # The artifact store (run_* directories and run_current); the API also accepts one run here.
    # RECO_ARTIFACT_ROOT is the name; ARTIFACT_DIR, the original product's, still works.
    artifact_dir: Path = Field(
        Path("artifacts"), validation_alias=AliasChoices("RECO_ARTIFACT_ROOT", "ARTIFACT_DIR")
    )
    # Level of the reco.* loggers when an entry point does not choose one (the API, Airflow tasks).
    log_level: str = Field("INFO", validation_alias="RECO_LOG_LEVEL")
    # The ranking profiles: the file the API serves with and the promotion gate judges with.
    panier_params_path: Path = SHIPPED_PROFILES
    # Forbid unpickling model.pkl (the API serves precomputed arrays and never needs it).
    disable_model_pickle: bool = False
    # Ranking parameters from environment variables named like them (W_PAIR=0.5...): a layer
    # under every profile, filled by _RankingOverrides.
    ranking_overrides: dict[str, str] = Field(default_factory=dict)

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        if value.upper() not in LOG_LEVELS:
            raise ValueError(f"must be one of {', '.join(LOG_LEVELS)}")
        return value.upper()

    def profiles(self) -> dict[str, Profile]:
        """The ranking profiles these settings designate: the file and the overrides. The API and
        the promotion gate both load them here, so the gate judges what the API serves."""
        from reco_core.ranking.profiles import load_profiles

        return load_profiles(self.panier_params_path, self.ranking_overrides)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Given explicitly (a test, a caller with its own mapping), the overrides replace the
        # environment's rather than being merged with them.
        given = "ranking_overrides" in getattr(init_settings, "init_kwargs", {})
        overrides = () if given else (_RankingOverrides(settings_cls),)
        return init_settings, *overrides, env_settings


class JobSettings(RecoSettings):
    """The batch jobs' settings (the `reco` CLI and the Airflow tasks; the API reads none of these)."""

    # Where `reco data` writes and `reco train` / `reco eval` read (the DAG's extractions too).
    data_dir: Path = Field(Path("var/data"), validation_alias="RECO_DATA_DIR")
    # The warehouse of `reco data` when no --warehouse-url / --nom_serveur is given.
    warehouse_url: str | None = Field(None, validation_alias="RECO_WAREHOUSE_URL")
    # Tracebacks instead of one-line errors from the `reco` CLI.
    debug: bool = Field(False, validation_alias="RECO_DEBUG")


class _RankingOverrides(PydanticBaseSettingsSource):
    """The environment variables named like a BasketParams field or one of its aliases, spelled
    exactly (case-sensitive, unlike the other settings: a profile key, a variable and a field are
    one name); empty ones count as unset."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # one value for the whole mapping: see __call__

    def __call__(self) -> dict[str, Any]:
        from reco_core.ranking.params import ALIASES, PARAM_NAMES

        names = (*PARAM_NAMES, *ALIASES)
        found = {name: os.environ[name] for name in names if os.environ.get(name, "").strip()}
        return {"ranking_overrides": found}
