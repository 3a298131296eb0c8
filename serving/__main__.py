"""The API on HOST:PORT with WORKERS processes, each listening on its own socket.

`python -m serving` is `uvicorn serving.app:app --workers N` but for the listening sockets
(serving/listeners.py): uvicorn's supervisor still starts, health-checks and restarts the workers,
and HUP, TTIN and TTOU mean what they mean to it. The flags override the settings' HOST, PORT and
WORKERS.
"""

from __future__ import annotations

import argparse
import sys

import uvicorn
from pydantic import ValidationError
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors import Multiprocess

from serving.listeners import OwnListeningSocket, port_in_use
from serving.settings import Settings

APP = "serving.app:app"
# uvicorn kills a worker that misses its 5 s health check; loading a large run at start-up can
# keep a worker from answering longer than that (docs/serving.md, "Several workers").
HEALTHCHECK_SECONDS = 60


def _parser() -> argparse.ArgumentParser:
    def default(name: str) -> str:
        return f"default: {name.upper()}, else {Settings.model_fields[name].default}"

    parser = argparse.ArgumentParser(prog="python -m serving", description=__doc__.splitlines()[0])
    parser.add_argument("--host", help=default("host"))
    parser.add_argument("--port", type=int, help=default("port"))
    parser.add_argument("--workers", type=int, help=default("workers"))
    parser.add_argument("--no-access-log", action="store_true", help="leave out uvicorn's access log")
    return parser


def _settings(parser: argparse.ArgumentParser, args: argparse.Namespace) -> Settings:
    """The settings with the flags given in place of HOST, PORT and WORKERS, validated by the one
    model: a bad flag is named as a flag (exit 2, as argparse), a bad variable as the variable."""
    given = {name: getattr(args, name) for name in ("host", "port", "workers")}
    flags = {name: value for name, value in given.items() if value is not None}
    try:
        return Settings(**flags)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(map(str, first["loc"]))
        if field in flags:
            parser.error(f"invalid --{field}: {first['msg']}")
        sys.exit(f"python -m serving: invalid {field.upper()}: {first['msg']}")


def main(argv: list[str] | None = None) -> None:
    parser = _parser()
    args = parser.parse_args(argv)
    settings = _settings(parser, args)
    host, port, workers = settings.host, settings.port, settings.workers
    config = uvicorn.Config(
        APP,
        host=host,
        port=port,
        workers=workers,
        access_log=not args.no_access_log,
        timeout_worker_healthcheck=HEALTHCHECK_SECONDS,
    )
    if (busy := port_in_use(host, port)) is not None:
        sys.exit(f"python -m serving: cannot listen on {host}:{port}: {busy.strerror}")
    if workers == 1:
        server = uvicorn.Server(config)
        server.run()
        if not server.started:
            sys.exit(STARTUP_FAILURE)
        return
    Multiprocess(config, sockets=OwnListeningSocket(host, port)).run()  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
