"""ServingState in-process: start-up, watcher decisions, pinning and failed loads, on tiny runs."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from pathlib import Path

import pytest

from reco_core.artifacts import layout as L
from reco_core.artifacts.store import promote
from reco_core.settings import SHIPPED_PROFILES
from serving.metrics import Metrics
from serving.runs import ReloadError
from serving.settings import Settings
from serving.state import ServingState

A, B, C = "run_20240101_000000", "run_20240102_000000", "run_20240103_000000"


def add(root: Path, template_run: Path, name: str, *, tampered: bool = False) -> Path:
    run = Path(shutil.copytree(template_run, root / name))
    if tampered:
        with open(run / L.TRAIN_POP, "ab") as fh:
            fh.write(b"\0")
    return run


def make_state(artifact_dir: Path, **settings) -> ServingState:
    return ServingState(Settings(artifact_dir=artifact_dir, _env_file=None, **settings), Metrics())


def loads(state: ServingState, trigger: str, result: str) -> float:
    value = state.metrics.registry.get_sample_value(
        "reco_reloads_total", {"trigger": trigger, "result": result}
    )
    return value or 0.0


def served(state: ServingState) -> str | None:
    return state.snapshot.run.run_id if state.snapshot else None


def test_startup_follows_run_current_then_the_watcher_follows_promotions(root, template_run):
    add(root, template_run, A)
    add(root, template_run, B)
    promote(root, A)
    state = make_state(root)

    async def scenario() -> None:
        await state.startup()
        assert served(state) == A and not state.pinned
        await state.check("watcher")  # nothing changed: nothing loaded
        assert loads(state, "watcher", "ok") == 0
        promote(root, B)
        await state.check("watcher")
        assert served(state) == B and loads(state, "watcher", "ok") == 1

    asyncio.run(scenario())


def test_a_failing_promoted_run_is_verified_once_and_the_old_run_keeps_serving(root, template_run):
    add(root, template_run, A)
    add(root, template_run, B)
    promote(root, A)
    state = make_state(root)

    async def scenario() -> None:
        await state.startup()
        add(root, template_run, C, tampered=True)
        os.replace(_symlink(root, C), root / L.CURRENT_LINK)  # promote refuses it; a hand-made link does not
        with pytest.raises(ReloadError, match=f"{L.TRAIN_POP}: size"):
            await state.check("watcher")
        await state.check("watcher")  # same broken run: not verified again
        assert loads(state, "watcher", "failed") == 1 and served(state) == A
        assert state.last_reload is not None and not state.last_reload.ok
        promote(root, B)
        await state.check("watcher")
        assert served(state) == B

    asyncio.run(scenario())


def test_not_ready_until_a_valid_run_appears_without_retrying_the_same_failure(root, template_run):
    add(root, template_run, A, tampered=True)
    state = make_state(root)

    async def scenario() -> None:
        await state.startup()
        assert state.snapshot is None
        assert f"{L.TRAIN_POP}: size" in state.not_ready_reason
        await state.check("watcher")
        assert loads(state, "watcher", "failed") == 0  # the start-up failure is not repeated
        add(root, template_run, B)  # a newer valid run: the latest one, with no run_current
        await state.check("watcher")
        assert served(state) == B

    asyncio.run(scenario())


def test_an_explicit_reload_pins_until_run_current_changes_and_removing_the_link_changes_nothing(
    root, template_run
):
    for name in (A, B, C):
        add(root, template_run, name)
    promote(root, A)
    state = make_state(root)

    async def scenario() -> None:
        await state.startup()
        swap = await state.reload(B, None)
        assert (swap.previous.run.run_id, swap.snapshot.run.run_id, swap.pinned) == (A, B, True)
        await state.check("watcher")
        assert served(state) == B
        (root / L.CURRENT_LINK).unlink()
        await state.check("watcher")
        assert served(state) == B and not state.pinned
        promote(root, C)
        await state.check("watcher")
        assert served(state) == C

    asyncio.run(scenario())


def test_artifact_dir_naming_a_run_serves_it_pinned_against_run_current(root, template_run):
    add(root, template_run, A)
    add(root, template_run, B)
    promote(root, A)
    state = make_state(root / B)
    assert state.settings.artifact_root == root.resolve()

    async def scenario() -> None:
        await state.startup()
        assert served(state) == B and state.pinned
        swap = await state.reload(None, None)  # no artifact_dir: back to what ARTIFACT_DIR names
        assert swap.snapshot.run.run_id == B

    asyncio.run(scenario())


def test_reload_rereads_the_profiles_file_and_keeps_the_run(root, template_run, tmp_path):
    add(root, template_run, A)
    profiles = tmp_path / "profiles.json"
    shipped = json.loads(SHIPPED_PROFILES.read_text())
    profiles.write_text(json.dumps({"only": shipped["precision_pair_heavy_v2"]}))
    state = make_state(root, panier_params_path=profiles, panier_profile="only")

    async def scenario() -> None:
        await state.startup()
        with pytest.raises(ReloadError, match="profile: unknown profile 'later'") as refused:
            await state.reload(None, "later")
        assert refused.value.status == 422
        profiles.write_text(json.dumps({"only": shipped["precision_pair_heavy_v2"], "later": {}}))
        swap = await state.reload(None, "later")
        assert (swap.snapshot.run.run_id, swap.snapshot.profile.name) == (A, "later")

    asyncio.run(scenario())


def test_an_unreadable_profiles_file_leaves_the_service_not_ready(root, template_run, tmp_path):
    add(root, template_run, A)
    profiles = tmp_path / "profiles.json"
    profiles.write_text("{")
    state = make_state(root, panier_params_path=profiles)
    asyncio.run(state.startup())
    assert state.snapshot is None
    assert state.not_ready_reason.startswith("profile: the profiles file does not load")


def _symlink(root: Path, name: str) -> Path:
    tmp = root / ".tmp-link"
    os.symlink(name, tmp)
    return tmp


def test_a_reload_makes_a_not_ready_service_ready(root, template_run):
    state = make_state(root)

    async def scenario() -> None:
        await state.startup()  # nothing under the root yet
        assert state.snapshot is None
        add(root, template_run, A)
        swap = await state.reload(A, None)
        assert swap.previous is None and served(state) == A

    asyncio.run(scenario())


def test_the_memory_of_a_dropped_run_is_released_on_the_next_watcher_step(root, template_run, monkeypatch):
    add(root, template_run, A)
    state = make_state(root)
    released = []
    monkeypatch.setattr("serving.state.release_free_memory", lambda: released.append(served(state)))

    async def scenario() -> None:
        await state.startup()
        await state.tick()
        assert released == []  # nothing dropped yet
        await state.reload(None, None)
        await state.tick()
        await state.tick()
        assert released == [A]  # once, after the swap

    asyncio.run(scenario())
