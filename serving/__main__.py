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


def parse_args(argv: list[str] | None, settings: Settings) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m serving", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=settings.host, help="default: HOST (%(default)s)")
    parser.add_argument("--port", type=int, default=settings.port, help="default: PORT (%(default)s)")
    parser.add_argument(
        "--workers", type=int, default=settings.workers, help="default: WORKERS (%(default)s)"
    )
    parser.add_argument("--no-access-log", action="store_true", help="leave out uvicorn's access log")
    args = parser.parse_args(argv)
    if args.workers < 1:
        parser.error(f"--workers must be at least 1, not {args.workers}")
    if not 1 <= args.port <= 65535:
        parser.error(f"--port must be from 1 to 65535, not {args.port}")
    return args


def main(argv: list[str] | None = None) -> None:
    try:
        settings = Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        sys.exit(f"python -m serving: invalid {'.'.join(map(str, first['loc'])).upper()}: {first['msg']}")
    args = parse_args(argv, settings)
    config = uvicorn.Config(
        APP,
        host=args.host,
        port=args.port,
        workers=args.workers,
        access_log=not args.no_access_log,
        timeout_worker_healthcheck=HEALTHCHECK_SECONDS,
    )
    if (busy := port_in_use(args.host, args.port)) is not None:
        sys.exit(f"python -m serving: cannot listen on {args.host}:{args.port}: {busy.strerror}")
    if args.workers == 1:
        server = uvicorn.Server(config)
        server.run()
        if not server.started:
            sys.exit(STARTUP_FAILURE)
        return
    Multiprocess(config, sockets=OwnListeningSocket(args.host, args.port)).run()  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
