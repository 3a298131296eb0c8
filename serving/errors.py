"""Every error answers JSON `{"detail": "<one human sentence>"}`, whatever raised it.

FastAPI's own 422 body is a list of pydantic errors echoing the input (possibly 500 ids); here
`detail` is one message naming each field at fault (`k: ...; product_ids[3]: ...`) and
`errors` keeps the per-field list for programs, without the input.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from reco_core import logs
from reco_core.errors import RecoError
from serving.runs import ReloadError

log = logs.get_logger("serving")


def install(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(HTTPException, _http)
    app.add_exception_handler(ReloadError, _reload)
    app.add_exception_handler(RecoError, _reco)
    app.add_exception_handler(Exception, _unexpected)


def field_name(loc: tuple[str | int, ...]) -> str:
    """("body", "product_ids", 3) -> "product_ids[3]"; the body itself -> "body"."""
    parts = list(loc[1:] if loc and loc[0] in ("body", "header", "query", "path") else loc)
    name = ""
    for part in parts:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else str(part))
    return name or "body"


async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = []
    for error in exc.errors():
        if error["type"] == "json_invalid":
            ctx = error.get("ctx", {})
            message = f"not valid JSON ({ctx.get('error', 'decode error')})"
            errors.append({"field": "body", "message": message, "type": error["type"]})
        else:
            errors.append({"field": field_name(error["loc"]), "message": error["msg"], "type": error["type"]})
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    return JSONResponse({"detail": detail, "errors": errors}, status_code=422)


async def _http(request: Request, exc: HTTPException) -> JSONResponse:
    if exc.status_code == 400 and isinstance(exc.__cause__, ValueError | RecursionError):
        # FastAPI answers a body that json.loads refuses for another reason than its syntax
        # (bytes that are not UTF-8, lists nested deeper than the recursion limit, an integer
        # longer than Python converts) with a bare 400 "There was an error parsing the body":
        # answer it like any other invalid JSON, saying which of these it was.
        error = {
            "field": "body",
            "message": f"not valid JSON ({_unparsable(exc.__cause__)})",
            "type": "json_invalid",
        }
        return JSONResponse({"detail": f"body: {error['message']}", "errors": [error]}, status_code=422)
    return JSONResponse({"detail": str(exc.detail)}, status_code=exc.status_code, headers=exc.headers)


def _unparsable(cause: ValueError | RecursionError) -> str:
    """Why json.loads refused a body whose syntax is fine, in words a client can act on."""
    if isinstance(cause, RecursionError):
        return "nested too deeply"
    if isinstance(cause, UnicodeDecodeError):
        return "not UTF-8"
    # e.g. "Exceeds the limit (4300 digits) for integer string conversion: value has 5000 digits;
    # use sys.set_int_max_str_digits() ...": the clause before ";" is about the body, the rest
    # is advice for the server's Python.
    return str(cause).split(";")[0]


async def _reload(request: Request, exc: ReloadError) -> JSONResponse:
    return JSONResponse({"detail": str(exc)}, status_code=exc.status)


async def _reco(request: Request, exc: RecoError) -> JSONResponse:
    return JSONResponse({"detail": str(exc)}, status_code=422)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    """A bug: log the traceback, answer JSON without internals (the server logs it too)."""
    logs.event(log, "unhandled error", logging.ERROR, path=request.url.path, error=type(exc).__name__)
    return JSONResponse({"detail": "internal error; see the server log"}, status_code=500)
