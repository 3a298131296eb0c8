"""Every setting of the API, read once from the environment (names are the original product's).

One object, built at start-up and handed to the routes as a dependency, so a test can build an
app with its own settings instead of patching the environment of the process. It extends
reco_core.settings.RecoSettings: the artifact store, the log level, the profiles file
(PANIER_PARAMS_PATH) and the ranking overrides are read there, as the CLI and the DAGs read them.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import NoDecode

from reco_core.artifacts import layout as L
from reco_core.ranking.profiles import DEFAULT_PROFILE
from reco_core.settings import RecoSettings


class Settings(RecoSettings):
    """Environment variables, case-insensitive; an empty variable counts as unset.

    `artifact_dir` (RecoSettings) may also designate one run here: see artifact_root."""

    port: int = Field(8080, ge=1, le=65535)
    host: str = "127.0.0.1"
    # worker processes of `python -m serving` (serving/listeners.py: one listening socket each)
    workers: int = Field(1, ge=1)
    admin_key: SecretStr | None = None
    # Without ADMIN_KEY, /reload is closed unless this says the deployment wants it open.
    allow_unauthenticated_reload: bool = False
    panier_profile: str = DEFAULT_PROFILE
    reload_check_seconds: float = Field(5.0, gt=0)
    cors_allow_origins: Annotated[tuple[str, ...], NoDecode] = ()
    max_body_bytes: int = Field(1 << 20, ge=1)

    @field_validator("cors_allow_origins", mode="before")
    @classmethod
    def _comma_list(cls, value: object) -> object:
        """CORS_ALLOW_ORIGINS is a comma list (`https://a.fr,https://b.fr`), not JSON."""
        if isinstance(value, str):
            return tuple(origin.strip() for origin in value.split(",") if origin.strip())
        return value

    @cached_property
    def artifact_root(self) -> Path:
        """The directory whose runs the API may serve: ARTIFACT_DIR, or its parent when it is a run.

        Every path given to /reload must resolve inside it, and the watcher follows its
        run_current.
        """
        path = self.artifact_dir
        if self.designates_run:
            path = path.parent
        return Path(path).resolve()

    @property
    def designates_run(self) -> bool:
        """Whether ARTIFACT_DIR names one run (or run_current) rather than a root."""
        path = self.artifact_dir
        return (
            path.name == L.CURRENT_LINK
            or L.RUN_NAME_RE.match(path.name) is not None
            or (path / L.MANIFEST).is_file()
        )

    @property
    def admin_key_bytes(self) -> bytes | None:
        return None if self.admin_key is None else self.admin_key.get_secret_value().encode("utf-8")
