"""Operational routes: liveness, readiness, Prometheus metrics and the OpenAPI document.

``/healthz`` is the only route without a token: it says the process answers, nothing more.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from sqlalchemy import text
from starlette.concurrency import run_in_threadpool

from steward.service.api_models import Health
from steward.service.auth import Principal, require
from steward.service.errors import error_json, responses
from steward.service.metrics import CONTENT_TYPE
from steward.store import Store

router = APIRouter(tags=["operations"])
Reader = Annotated[Principal, Depends(require("read"))]
AUTH_ERRORS = responses(401, 403, 413, 422, 429)


@router.get("/healthz", response_model=Health, responses=responses(413))
async def healthz() -> dict[str, str]:
    """The process is up (no token needed; says nothing about the store)."""
    return {"status": "ok"}


@router.get("/readyz", response_model=Health, responses={**AUTH_ERRORS, **responses(503)})
async def readyz(request: Request, _: Reader) -> Any:
    """Ready to serve: the store answers and the gateway has started (else 503)."""
    if not getattr(request.app.state, "gateway_started", False):
        return error_json(503, "NotReady", "the gateway has not started")
    if not await run_in_threadpool(_store_answers, request.app.state.store):
        return error_json(503, "NotReady", "the store does not answer")
    return {"status": "ready"}


def _store_answers(store: Store) -> bool:
    try:
        with store.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception:
        return False
    return True


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE: {}}, "description": "Prometheus text"}}
    | AUTH_ERRORS,
)
async def metrics(request: Request, _: Reader) -> Response:
    """Every service metric in the Prometheus text format."""
    return Response(request.app.state.metrics.render(), media_type=CONTENT_TYPE)


@router.get("/openapi.json", include_in_schema=False)
async def openapi(request: Request, _: Reader) -> dict[str, Any]:
    """The OpenAPI document of this service (needs a token, like every route but health)."""
    return request.app.openapi()
