"""One pure-ASGI middleware for what every request goes through: the body size limit and metrics.

Pure ASGI (not BaseHTTPMiddleware) because it sits on the hot path: it adds one function call
and one histogram observation per request.

Body limit: a declared Content-Length above MAX_BODY_BYTES is refused before reading anything;
a body without one (chunked) is read up to the limit and refused as soon as it goes beyond, so
a client cannot make a worker buffer more than MAX_BODY_BYTES either way. The body read here
is replayed to the app (it is at most MAX_BODY_BYTES).
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence

from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from serving.metrics import Metrics

UNMATCHED = "<unmatched>"  # one label for every unknown path: raw paths would explode cardinality


class BodyTooLarge(Exception):
    pass


class ServingMiddleware:
    def __init__(
        self, app: ASGIApp, metrics: Metrics, max_body_bytes: int, routes: Sequence[BaseRoute]
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.max_body_bytes = max_body_bytes
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500  # what the client gets if the app fails before starting a response

        async def send_and_record(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            try:
                replay = await self._read_body(scope, receive)
            except BodyTooLarge:
                await _json(send_and_record, 413, f"request body larger than {self.max_body_bytes} bytes")
                return
            await self.app(scope, replay, send_and_record)
        finally:
            self.metrics.observe(scope["method"], self._endpoint(scope), status, time.perf_counter() - start)

    async def _read_body(self, scope: Scope, receive: Receive) -> Receive:
        """The body read up to the limit, handed back to the app as one message."""
        for name, value in scope["headers"]:
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0  # the server rejects a malformed length itself
                if declared > self.max_body_bytes:
                    raise BodyTooLarge
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # disconnected: let the app see it
                return _replay_then(message, receive)
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                raise BodyTooLarge
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return _replay_then({"type": "http.request", "body": b"".join(chunks), "more_body": False}, receive)

    def _endpoint(self, scope: Scope) -> str:
        """The route template (`/recommend_panier`), never the raw path."""
        route = scope.get("route")
        if route is None:  # refused before routing (413): find the route the path would have taken
            route = next((r for r in self.routes if r.matches(scope)[0] is Match.FULL), None)
        return getattr(route, "path", UNMATCHED) if route is not None else UNMATCHED


def _replay_then(first: Message, receive: Receive) -> Receive:
    pending = [first]

    async def replay() -> Message:
        return pending.pop() if pending else await receive()

    return replay


async def _json(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
