"""One listening socket per worker, in a SO_REUSEPORT group, so the kernel spreads connections.

Why not uvicorn's `--workers`: there the workers share one listening socket, and a worker whose
event loop wakes accepts every connection pending on it (uvloop). A burst of new connections (a
storefront's or a load balancer's pool, wrk) therefore lands mostly on one worker, and kept-alive
connections keep that imbalance for their lifetime: one worker's loop near a full core queues
requests while the other idles (docs/serving.md, "Several workers"). With a socket of its own per
worker, all bound to the port with SO_REUSEPORT, Linux picks the socket of each new connection by
a hash of its addresses: an even split on average, whatever the timing of the accepts.
"""

from __future__ import annotations

import logging
import socket
import sys
from collections.abc import Iterator

from uvicorn.config import STARTUP_FAILURE

log = logging.getLogger("uvicorn.error")


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def port_in_use(host: str, port: int) -> OSError | None:
    """Why (host, port) cannot be served, or None when nothing listens on it.

    The launcher asks before starting its workers: a second server of the same user that also
    sets SO_REUSEPORT (a stale launcher, a second `make serve-fg`) would otherwise join the group
    silently and take a share of the connections. A plain bind, with SO_REUSEADDR as uvicorn's,
    fails on a port that anything listens on, SO_REUSEPORT or not.
    """
    with socket.socket(_family(host), socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            return exc
    return None


class OwnListeningSocket:
    """What the launcher hands uvicorn's supervisor in place of the list of shared sockets.

    The supervisor pickles it into each worker it starts or restarts, unopened. uvicorn's server
    iterates it after the app's lifespan start-up, so a worker binds its socket, and joins the
    port's group, only once it has loaded its run. Iterated again (at shutdown), it yields the
    same socket. A worker that cannot bind exits with uvicorn's start-up failure code, which stops
    the supervisor instead of restarting the worker forever.
    """

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self._socket: socket.socket | None = None

    def __getstate__(self) -> dict[str, object]:
        return {"host": self.host, "port": self.port, "_socket": None}

    def __iter__(self) -> Iterator[socket.socket]:
        if self._socket is None:
            self._socket = self._bind()
        yield self._socket

    def _bind(self) -> socket.socket:
        sock = socket.socket(_family(self.host), socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        try:
            sock.bind((self.host, self.port))
        except OSError as exc:
            sock.close()
            log.error("cannot listen on %s:%s: %s", self.host, self.port, exc)
            sys.exit(STARTUP_FAILURE)
        return sock
