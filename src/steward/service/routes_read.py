"""The read API (scope ``read``): models, versions, aliases, history, windows, findings,
alerts and the shadow comparison. Lists are paginated with ``?limit=&cursor=``.

Handlers are plain ``def``: FastAPI runs them in its thread pool, so store queries never
block the event loop that serves predictions.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import AwareDatetime
from sqlalchemy.orm import Session

from steward._exceptions import InputError
from steward.registry import ModelRegistry
from steward.service import queries
from steward.service.api_models import (
    AlertOut,
    AliasOut,
    EventOut,
    FindingOut,
    ModelSummary,
    VersionOut,
    WindowOut,
)
from steward.service.auth import Principal, require
from steward.service.errors import responses
from steward.service.pages import Cursor, Limit, Page, decode_cursor, page_after, trim
from steward.store import Store

router = APIRouter(
    prefix="/v1/models", tags=["read"], responses=responses(401, 403, 404, 413, 422, 429)
)
Reader = Annotated[Principal, Depends(require("read"))]
Name = Annotated[str, Path(min_length=1, max_length=200, description="model name")]
Version = Annotated[int, Path(ge=1, le=2**31 - 1, description="version number")]
Fetch = Callable[[Session, int, Any], list[dict[str, Any]]]


def _store(request: Request) -> Store:
    return request.app.state.store


def _registry(request: Request) -> ModelRegistry:
    return request.app.state.registry


@router.get("", response_model=Page[ModelSummary])
def list_models(
    request: Request, who: Reader, limit: Limit = 100, cursor: Cursor = None
) -> dict[str, Any]:
    """Registered models (those the token may see), by name."""
    after = decode_cursor(cursor, str)
    with _store(request).session() as session:
        rows = queries.model_summaries(session, after, limit, who.models)
    items, next_cursor = trim(rows, lambda m: m["name"], limit)
    return {"items": items, "next": next_cursor}


@router.get("/{name}", response_model=ModelSummary)
def get_model(request: Request, name: Name, _: Reader) -> dict[str, Any]:
    """One model: description, number of versions and where its aliases point."""
    with _store(request).session() as session:
        queries.model_id(session, name)
        rows = queries.model_summaries(session, None, 1, (name,))
    return rows[0]


@router.get("/{name}/versions", response_model=Page[VersionOut])
def list_versions(
    request: Request, name: Name, _: Reader, limit: Limit = 100, cursor: Cursor = None
) -> dict[str, Any]:
    """Every version of a model, oldest first."""
    versions = [v.to_dict() for v in _registry(request).versions(name)]
    items, next_cursor = page_after(versions, lambda v: v["version"], cursor, limit)
    return {"items": items, "next": next_cursor}


@router.get("/{name}/versions/{version}", response_model=VersionOut)
def get_version(request: Request, name: Name, version: Version, _: Reader) -> dict[str, Any]:
    """One version: format, SHA-256, schema, lineage, trust and aliases."""
    return _registry(request).get(name, version).to_dict()


@router.get("/{name}/aliases", response_model=Page[AliasOut])
def list_aliases(
    request: Request, name: Name, _: Reader, limit: Limit = 100, cursor: Cursor = None
) -> dict[str, Any]:
    """Where each alias points now."""
    found = _registry(request).aliases(name)
    rows = [{"alias": alias, "versions": numbers} for alias, numbers in found.items()]
    items, next_cursor = page_after(rows, lambda a: a["alias"], cursor, limit)
    return {"items": items, "next": next_cursor}


@router.get("/{name}/history", response_model=Page[EventOut])
def alias_history(
    request: Request, name: Name, _: Reader, limit: Limit = 100, cursor: Cursor = None
) -> dict[str, Any]:
    """Every alias move (promote, demote, rollback) with actor and reason, oldest first."""
    events = [e.to_dict() for e in _registry(request).history(name)]
    items, next_cursor = page_after(events, lambda e: e["id"], cursor, limit)
    return {"items": items, "next": next_cursor}


@router.get("/{name}/windows", response_model=Page[WindowOut])
def list_windows(
    request: Request,
    name: Name,
    _: Reader,
    role: Annotated[Literal["served", "shadow"] | None, Query()] = None,
    limit: Limit = 100,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """Serving windows, newest first: bounds, rows, labelled rows and state."""
    return _model_page(
        request,
        name,
        cursor,
        limit,
        lambda s, model, after: queries.windows(s, model, after, limit, role),
    )


@router.get("/{name}/windows/{window_id}/findings", response_model=Page[FindingOut])
def list_findings(
    request: Request,
    name: Name,
    window_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    _: Reader,
    limit: Limit = 100,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """The findings of one window (drift, quality, performance, ...)."""
    return _model_page(
        request,
        name,
        cursor,
        limit,
        lambda s, model, after: queries.findings(s, model, window_id, after, limit),
    )


@router.get("/{name}/alerts", response_model=Page[AlertOut])
def list_alerts(
    request: Request,
    name: Name,
    _: Reader,
    state: Annotated[Literal["pending", "firing", "resolved"] | None, Query()] = None,
    limit: Limit = 100,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """Alerts of a model, newest first, optionally in one state."""
    return _model_page(
        request,
        name,
        cursor,
        limit,
        lambda s, model, after: queries.alerts(s, model, after, limit, state),
    )


def _model_page(
    request: Request, name: str, cursor: str | None, limit: int, fetch: Fetch
) -> dict[str, Any]:
    """One page of a model's rows keyed by ``id``, read by ``fetch(session, model_id, after)``.

    The windows, findings and alerts lists differ only in their query; the cursor, the model
    lookup (404 for an unknown name) and the trimming are the same for all three.
    """
    after = decode_cursor(cursor)
    with _store(request).session() as session:
        model = queries.model_id(session, name)
        rows = fetch(session, model, after)
    items, next_cursor = trim(rows, lambda row: row["id"], limit)
    return {"items": items, "next": next_cursor}


@router.get("/{name}/shadow", response_model=dict[str, Any])
def shadow(
    request: Request,
    name: Name,
    _: Reader,
    since: Annotated[AwareDatetime | None, Query(description="only rows from then on")] = None,
) -> dict[str, Any]:
    """How each challenger compares with the champion on the same live rows."""
    from steward.monitor.shadow import shadow_comparison

    return shadow_comparison(_store(request), _registry(request), name, since=_utc(since))


def _utc(at: datetime | None) -> datetime | None:
    try:
        return at.astimezone(timezone.utc) if at is not None else None
    except OverflowError as exc:
        raise InputError(f"since: {at} is out of range") from exc
