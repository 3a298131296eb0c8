"""The serving API seen from the DAGs: reload a run, check that it is served, roll back if not.

Requests go through Airflow's HttpHook on connection `reco_serving` (scheme, host, port, TLS
options), with the admin key (the connection's password) in the `X-Admin-Key` header. The
reload names the run relative to the artifact root, so the API resolves it in its own mount of
the artifact store, whatever path the Airflow worker sees.

Post-promotion check: `/version` must report the promoted run as the one served and ready, and
a few canary baskets (the best sellers of the run, with and without a profession) must each
get k recommendations from that run. Anything else means serving did not come up healthy on
the new run, and the promotion is rolled back.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from reco_airflow.config import ServingEndpoint

log = logging.getLogger(__name__)

CANARY_K = 10
TIMEOUT_S = 120  # a reload verifies and indexes the run before answering


class ServingError(Exception):
    """The serving API refused, failed or could not be reached; the message says which and why."""


@dataclass(frozen=True)
class Canary:
    profession: str | None
    product_ids: list[int]

    def body(self, k: int = CANARY_K) -> dict[str, Any]:
        return {"profession": self.profession, "product_ids": self.product_ids, "k": k, "expand": False}


def canary_baskets(run_dir: Path, n_professions: int = 2) -> list[Canary]:
    """The two best sellers of the first professions of the run, then the two best sellers overall
    without a profession (which exercises the profession detection)."""
    import numpy as np

    from reco_core.artifacts.loader import load_run

    run = load_run(run_dir)
    canaries = []
    for p, profession in enumerate(run.professions[:n_professions]):
        top = [int(run.item_ids[i]) for i in run.top_popp_by_prof[p][:2] if i >= 0]
        if top:
            canaries.append(Canary(profession, top))
    best = np.argsort(-run.train_pop, kind="stable")[:2]
    canaries.append(Canary(None, [int(run.item_ids[i]) for i in best]))
    return canaries


def _call(endpoint: ServingEndpoint, method: str, path: str, body: dict | None = None) -> dict[str, Any]:
    import requests
    from airflow.providers.http.hooks.http import HttpHook

    headers = {"X-Admin-Key": endpoint.admin_key} if endpoint.admin_key else {}
    hook = HttpHook(method=method, http_conn_id=endpoint.conn_id)
    try:
        response = hook.run(
            path, json=body, headers=headers, extra_options={"check_response": False, "timeout": TIMEOUT_S}
        )
    except requests.RequestException as exc:
        raise ServingError(f"{method} {path}: serving unreachable: {exc}") from None
    if response.status_code >= 400:
        detail = response.text[:500]
        raise ServingError(f"{method} {path}: HTTP {response.status_code}: {detail}")
    return response.json()


def reload(endpoint: ServingEndpoint, run_id: str, profile: str) -> dict[str, Any]:
    """POST /reload of `run_id` with `profile`; the API's answer (run_id, seconds...)."""
    answer = _call(endpoint, "POST", "/reload", {"artifact_dir": run_id, "profile": profile})
    if answer.get("run_id") != run_id:
        raise ServingError(f"POST /reload: serving loaded {answer.get('run_id')!r}, not {run_id!r}")
    return answer


def check(endpoint: ServingEndpoint, run_dir: Path) -> list[str]:
    """Problems of the post-promotion check (empty: serving is healthy on `run_dir`)."""
    run_id = run_dir.name
    try:
        version = _call(endpoint, "GET", "/version")
    except ServingError as exc:
        return [str(exc)]
    served = (version.get("run") or {}).get("run_id")
    problems = []
    if not version.get("ready") or served != run_id:
        problems.append(f"/version: ready={version.get('ready')}, serving {served!r}, expected {run_id!r}")
    for canary in canary_baskets(run_dir):
        try:
            answer = _call(endpoint, "POST", "/recommend_panier", canary.body())
        except ServingError as exc:
            problems.append(str(exc))
            continue
        items = answer.get("recommendations") or []
        if answer.get("run_id") != run_id or len(items) != CANARY_K:
            problems.append(
                f"canary {canary.profession or 'no profession'} {canary.product_ids}: {len(items)} items "
                f"from {answer.get('run_id')!r}, expected {CANARY_K} from {run_id!r}"
            )
    return problems


def check_until_healthy(endpoint: ServingEndpoint, run_dir: Path, timeout_s: float) -> list[str]:
    """`check` until it passes or `timeout_s` elapses; the last problems (empty: healthy).

    With several API workers, /reload reaches one of them and the others switch when their
    watcher sees run_current move (a few seconds): a request may meet a worker still on the
    previous run in between, so one failed check is not yet a verdict.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        problems = check(endpoint, run_dir)
        if not problems or time.monotonic() >= deadline:
            return problems
        log.info("serving not healthy on %s yet, checking again: %s", run_dir.name, problems[0])
        time.sleep(2)


def fail_and_roll_back(
    problems: list[str],
    artifact_root: Path,
    promoted: str,
    endpoint: ServingEndpoint,
    profile: str,
    actor: str,
) -> NoReturn:
    """Roll the promotion back (see roll_back) and fail the task with what went wrong and what was done."""
    from airflow.sdk.exceptions import AirflowFailException

    headline = f"serving is not healthy on {promoted}: {problems[0]}"
    outcome = roll_back(artifact_root, promoted, endpoint, profile, actor, headline)
    raise AirflowFailException("\n".join([headline, *(f"- {p}" for p in problems[1:]), outcome]))


def roll_back(
    artifact_root: Path,
    promoted: str,
    endpoint: ServingEndpoint | None,
    profile: str,
    actor: str,
    reason: str,
) -> str:
    """Put back the run that was current before `promoted` and reload serving on it; what was done.

    Nothing is touched when run_current no longer points at `promoted` (someone promoted or
    rolled back meanwhile: their decision stands).
    """
    from reco_core.artifacts.store import current_run, rollback
    from reco_core.errors import ArtifactError

    current = current_run(artifact_root)
    if current is None or current.name != promoted:
        return f"no rollback: run_current is {current.name if current else None}, not {promoted} any more"
    try:
        entry = rollback(artifact_root, actor=actor, reason=reason)
    except ArtifactError as exc:
        return f"no rollback possible, run_current stays {promoted}: {exc}"
    target = entry.to_run if entry else promoted
    if endpoint is None:
        return f"rolled back run_current to {target}"
    try:
        reload(endpoint, target, profile)
    except ServingError as exc:
        return f"rolled back run_current to {target}; reloading serving on it failed too: {exc}"
    return f"rolled back run_current to {target}; serving reloaded on it"
