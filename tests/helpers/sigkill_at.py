"""Run a `reco` command that SIGKILLs itself at an exact step: the Nth call of one function.

    python tests/helpers/sigkill_at.py os.replace 2 after -- promote RUN --artifact-root ROOT

wraps `os.replace` so that its 2nd call completes and then the process kills itself with
SIGKILL (`before`: the call never happens), then runs `reco promote ...` in this process. The
kill is real (no handler, no atexit, no flush) and so is the filesystem: this is what a power
cut or the OOM killer does at that step. When the command finishes before the Nth call, it exits
with the command's own code: a test walking N = 1, 2, ... stops there, having killed every step.
"""

from __future__ import annotations

import functools
import importlib
import os
import signal
import sys
from collections.abc import Callable
from typing import Any


def _owner_and_name(target: str) -> tuple[Any, str]:
    """`os.replace` -> (the os module, "replace"); `pkg.mod:Class.method` -> (Class, "method")."""
    module_name, _, attrs = target.partition(":") if ":" in target else target.rpartition(".")
    owner: Any = importlib.import_module(module_name)
    *path, name = attrs.split(".")
    for attr in path:
        owner = getattr(owner, attr)
    return owner, name


def kill_at(target: str, n: int, when: str) -> None:
    """Patch `target` so that its `n`th call kills this process `when` ("before"/"after") it runs."""
    owner, name = _owner_and_name(target)
    real: Callable[..., Any] = getattr(owner, name)
    calls = 0

    @functools.wraps(real)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == n and when == "before":
            os.kill(os.getpid(), signal.SIGKILL)
        result = real(*args, **kwargs)
        if calls == n and when == "after":
            os.kill(os.getpid(), signal.SIGKILL)
        return result

    setattr(owner, name, wrapper)


def main(argv: list[str]) -> int:
    target, n, when, separator, *command = argv
    if separator != "--" or when not in ("before", "after") or int(n) < 1:
        sys.exit(f"usage: {sys.argv[0]} MODULE.FUNC N before|after -- RECO ARGS...")
    kill_at(target, int(n), when)
    from reco_core.cli import main as reco

    return reco(command)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
