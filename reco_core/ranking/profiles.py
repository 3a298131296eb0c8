"""Parameter profiles: named sets of BasketParams by basket size, read from a JSON file.

    {"<profile>": {"basket_params_by_size": {"default": {...}, "1": {...}, "5+": {...}}}}

Every bucket is resolved once, at load time (built-in defaults < environment < "default" <
bucket), so a request only picks a bucket; an error in any bucket stops the load and names the
profile, the bucket and the key. docs/profiles.md describes the rules for users.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reco_core import logs
from reco_core.errors import RecoError
from reco_core.ranking.params import BasketParams, overlay, params_from_env

log = logs.get_logger("ranking")

DEFAULT_BUCKET = "default"
# The profile production ranks with unless told otherwise (API, evaluation, promotion gate): the
# run's learned blend with mild policies (docs/quality.md: it beats every baseline where the fixed
# weights of blend_tuned_v3 did not). precision_pair_heavy_v2 keeps the original product's bucket
# "1" verbatim, whose gamme cap and MMR cost it up to 14 % Hit@10 at one item.
DEFAULT_PROFILE = "learned_v1"
PROFILE_KEY = "basket_params_by_size"
_SIZE_KEY = re.compile(r"^([1-9][0-9]*)(\+?)$")


@dataclass(frozen=True)
class Profile:
    """A named profile, every bucket resolved; "default" is always present."""

    name: str
    buckets: Mapping[str, BasketParams]

    @classmethod
    def fixed(cls, params: BasketParams, name: str = "fixed") -> Profile:
        """One parameter set for every basket size (evaluation sweeps, tests)."""
        return cls(name, {DEFAULT_BUCKET: params})

    def for_size(self, size: int) -> tuple[str, BasketParams]:
        """The bucket name and parameters for a basket of `size` known items."""
        bucket = select_bucket(self.buckets, size)
        return bucket, self.buckets[bucket]


def select_bucket(keys: Iterable[str], size: int) -> str:
    """The bucket of a basket of `size` items among `keys` ("default", "N" and "N+").

    The exact key wins; else the "N+" key with the largest N <= size; else, for a basket larger
    than every key, the largest bucket; else "default".
    """
    exact: dict[int, str] = {}
    open_: dict[int, str] = {}
    for key in keys:
        if match := _SIZE_KEY.match(key):
            (open_ if match.group(2) else exact)[int(match.group(1))] = key
    if size in exact:
        return exact[size]
    below = [n for n in open_ if n <= size]
    if below:
        return open_[max(below)]
    sizes = exact.keys() | open_.keys()
    if sizes and size > max(sizes):
        return exact[max(sizes)]  # an open key that large would have matched above
    return DEFAULT_BUCKET


def load_profiles(path: Path | str, environ: Mapping[str, str] | None = None) -> dict[str, Profile]:
    """Read and resolve every profile of a JSON file, or raise RecoError naming what is wrong."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RecoError(f"cannot read profiles file {path}: {exc.strerror or exc}") from None
    except json.JSONDecodeError as exc:
        raise RecoError(f"profiles file {path} is not valid JSON: {exc}") from None
    profiles = parse_profiles(data, environ)
    logs.event(log, "profiles loaded", path=str(path), profiles=",".join(profiles))
    return profiles


def parse_profiles(data: Any, environ: Mapping[str, str] | None = None) -> dict[str, Profile]:
    """Resolve profiles from parsed JSON; the ranking overrides (reco_core.settings) are laid once, here."""
    if not isinstance(data, dict) or not data:
        raise RecoError("profiles: expected a non-empty JSON object of named profiles")
    base = params_from_env(environ)
    return {name: _parse_profile(name, body, base) for name, body in data.items()}


def get_profile(profiles: Mapping[str, Profile], name: str) -> Profile:
    """The profile called `name`, or a RecoError listing the known ones."""
    if name not in profiles:
        raise RecoError(f"unknown profile '{name}' (known: {', '.join(sorted(profiles)) or 'none'})")
    return profiles[name]


def _parse_profile(name: str, body: Any, base: BasketParams) -> Profile:
    where = f"profile '{name}'"
    if not isinstance(body, dict):
        raise RecoError(f"{where}: expected an object with '{PROFILE_KEY}'")
    if extra := [key for key in body if key != PROFILE_KEY]:
        raise RecoError(f"{where}: unknown key '{extra[0]}' (expected '{PROFILE_KEY}')")
    raw = body.get(PROFILE_KEY, {})
    if not isinstance(raw, dict):
        raise RecoError(f"{where}: '{PROFILE_KEY}' must be an object of buckets")
    for bucket, layer in raw.items():
        if bucket != DEFAULT_BUCKET and not _SIZE_KEY.match(bucket):
            raise RecoError(
                f"{where}: invalid bucket '{bucket}' (expected 'default', a size like '2' or '5+')"
            )
        if not isinstance(layer, dict):
            raise RecoError(f"{where}, bucket '{bucket}': expected an object of parameters")
    default = overlay(base, raw.get(DEFAULT_BUCKET, {}), f"{where}, bucket '{DEFAULT_BUCKET}'")
    buckets = {DEFAULT_BUCKET: default}
    for bucket, layer in raw.items():
        if bucket != DEFAULT_BUCKET:
            buckets[bucket] = overlay(default, layer, f"{where}, bucket '{bucket}'")
    return Profile(name, buckets)
