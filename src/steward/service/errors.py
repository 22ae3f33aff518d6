"""The one place where Steward's exception tree becomes HTTP statuses.

Every error body has the same shape, ``{"error": {"type": ..., "message": ...}}`` (plus
``fields`` for request validation), so clients parse one thing. Steward's own errors carry
messages written for users and are shown as they are; anything else is a bug, answered with
a bare 500 that names the request id and never a traceback.

>>> status_for(NotFound("no model"))
404
"""

from __future__ import annotations

import logging
import math
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from steward._exceptions import (
    AuthError,
    CheckError,
    Conflict,
    Forbidden,
    InputError,
    IntegrityError,
    NotFound,
    PlanError,
    RateLimited,
    SchemaError,
    StewardError,
    StoreError,
    Unavailable,
    UnknownCheck,
    UntrustedArtifact,
)

LOG = logging.getLogger("steward.service")

# Order matters: the first class an error is an instance of decides (subclasses first).
STATUS: tuple[tuple[type[BaseException], int], ...] = (
    (RateLimited, 429),
    (Forbidden, 403),
    (UntrustedArtifact, 403),
    (AuthError, 401),
    (NotFound, 404),
    (Conflict, 409),
    (InputError, 422),
    (SchemaError, 422),
    (PlanError, 422),
    (CheckError, 422),
    (UnknownCheck, 422),
    (Unavailable, 503),
    (IntegrityError, 500),
)


class FieldError(BaseModel):
    field: str
    message: str


class ErrorDetail(BaseModel):
    type: str
    message: str
    fields: list[FieldError] | None = None


class ErrorBody(BaseModel):
    """The body of every error response."""

    error: ErrorDetail


DESCRIPTIONS = {
    401: "missing, unknown or revoked token",
    403: "token lacks the scope or the model",
    404: "no such model, version, alias or object",
    409: "conflicts with what is stored",
    413: "request body too large",
    422: "invalid request (the field is named)",
    429: "rate limit exceeded (see Retry-After)",
    503: "not ready, or no healthy model can answer",
}


def responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` documenting the error ``codes`` with the common body."""
    return {code: {"model": ErrorBody, "description": DESCRIPTIONS[code]} for code in codes}


def status_for(exc: BaseException) -> int:
    for kind, status in STATUS:
        if isinstance(exc, kind):
            return status
    return 500


def error_json(status: int, kind: str, message: str, **extra: Any) -> JSONResponse:
    body: dict[str, Any] = {"type": kind, "message": message, **extra}
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse({"error": body}, status_code=status, headers=headers)


async def steward_error(request: Request, exc: Exception) -> JSONResponse:
    """A :class:`StewardError` as its status; messages are ours, so they are shown."""
    status = status_for(exc)
    message = _message(exc, status)
    response = error_json(status, type(exc).__name__, message)
    if isinstance(exc, RateLimited):
        response.headers["Retry-After"] = str(max(1, math.ceil(exc.retry_after)))
    if status >= 500:
        LOG.error("%s on %s %s: %s", type(exc).__name__, request.method, request.url.path, exc)
    return response


def _message(exc: BaseException, status: int) -> str:
    if isinstance(exc, IntegrityError):
        return f"stored data failed its integrity check: {exc}"
    if isinstance(exc, StoreError):
        return "the store could not complete the operation"
    return str(exc) or type(exc).__name__


async def validation_error(request: Request, exc: Exception) -> JSONResponse:
    """FastAPI's request validation as a 422 naming each bad field (``body.ids``)."""
    assert isinstance(exc, RequestValidationError)
    fields = [
        {"field": ".".join(str(part) for part in error.get("loc", ())), "message": error["msg"]}
        for error in exc.errors()
    ]
    summary = "; ".join(f"{f['field']}: {f['message']}" for f in fields[:5])
    return error_json(422, "ValidationError", summary or "invalid request", fields=fields)


async def http_error(request: Request, exc: Exception) -> JSONResponse:
    """Starlette's own errors (unknown route, wrong method) in the common body."""
    assert isinstance(exc, HTTPException)
    response = error_json(exc.status_code, "HTTPError", str(exc.detail))
    for key, value in (exc.headers or {}).items():
        response.headers[key] = value
    if exc.status_code == 405:
        response.headers["Allow"] = ", ".join(_allowed(request))
    return response


def _allowed(request: Request) -> list[str]:
    """Every method some route serves at this path (Starlette names only the first route's)."""
    path = request.url.path
    methods: set[str] = set()
    for pattern, route_methods in getattr(request.app.state, "route_methods", ()):
        if pattern.match(path):
            methods |= route_methods
    return sorted(methods)


class ErrorBarrier:
    """ASGI middleware: an exception no handler took becomes a clean 500, connection kept.

    (Starlette's own last-resort handler re-raises to the server, which then drops the
    keep-alive connection the client is about to reuse.)
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception as exc:
            if started or scope["type"] != "http":
                raise
            response = await unexpected_error(Request(scope), exc)
            await response(scope, receive, send)


async def unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    """A bug: logged with its traceback server-side, a bare 500 for the client."""
    request_id = request.scope.get("state", {}).get("request_id", "?")
    LOG.error("unhandled error in request %s", request_id, exc_info=exc)
    return error_json(500, "InternalError", f"internal error (request {request_id})")


def install(app: FastAPI) -> None:
    """Register every handler on ``app``."""
    app.add_exception_handler(StewardError, steward_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(Exception, unexpected_error)
