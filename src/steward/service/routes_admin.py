"""Management (scope ``admin``): move aliases, roll back, trust versions, manage tokens.

Every action is recorded with the actor ``token:<name>``. Models are never registered over
HTTP here: artifacts reach the registry only through the command line.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request

from steward.registry import ModelRegistry
from steward.service import auth
from steward.service.api_models import (
    EventOut,
    PromoteIn,
    ReasonIn,
    TokenCreated,
    TokenIn,
    TokenOut,
    VersionOut,
)
from steward.service.auth import Principal, require
from steward.service.errors import responses
from steward.service.pages import Cursor, Limit, Page, page_after

router = APIRouter(tags=["admin"], responses=responses(401, 403, 404, 409, 413, 422, 429))
Admin = Annotated[Principal, Depends(require("admin"))]
Name = Annotated[str, Path(min_length=1, max_length=200, description="model name")]
Version = Annotated[int, Path(ge=1, le=2**31 - 1, description="version number")]
Alias = Annotated[str, Path(pattern=r"^[a-z][a-z0-9_-]{0,63}$", description="alias")]


def _registry(request: Request) -> ModelRegistry:
    return request.app.state.registry


def _moved(request: Request, name: str, event: Any) -> dict[str, Any]:
    """``event`` as JSON, after telling this process's gateway to re-read ``name`` now."""
    gateway = getattr(request.app.state, "gateway", None)
    if gateway is not None:
        gateway.invalidate(name)
    return event.to_dict()


@router.post("/v1/models/{name}/aliases", response_model=EventOut)
def promote(request: Request, name: Name, body: PromoteIn, who: Admin) -> dict[str, Any]:
    """Point an alias at a version (``champion`` moves; ``challenger`` adds one more)."""
    event = _registry(request).promote(
        name, body.version, body.alias, actor=who.actor, reason=body.reason
    )
    return _moved(request, name, event)


@router.delete("/v1/models/{name}/aliases/{alias}", response_model=EventOut)
def demote(
    request: Request,
    name: Name,
    alias: Alias,
    who: Admin,
    version: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    reason: Annotated[str, Query(max_length=2000)] = "",
) -> dict[str, Any]:
    """Take an alias off a version (``?version=`` needed when it points at several)."""
    event = _registry(request).demote(name, version, alias, actor=who.actor, reason=reason)
    return _moved(request, name, event)


@router.post("/v1/models/{name}/rollback", response_model=EventOut)
def rollback(
    request: Request, name: Name, who: Admin, body: ReasonIn | None = None
) -> dict[str, Any]:
    """Make the previous champion the champion again, in one step."""
    reason = body.reason if body else ""
    event = _registry(request).rollback(name, actor=who.actor, reason=reason)
    return _moved(request, name, event)


@router.post("/v1/models/{name}/versions/{version}/trust", response_model=VersionOut)
def trust(
    request: Request, name: Name, version: Version, who: Admin, body: ReasonIn | None = None
) -> dict[str, Any]:
    """Allow a version whose format can run code on load (pickle, joblib) to load."""
    reason = body.reason if body else ""
    version_ = _registry(request).trust(name, version, actor=who.actor, reason=reason)
    return _moved(request, name, version_)


@router.get("/v1/tokens", response_model=Page[TokenOut])
def list_tokens(
    request: Request, _: Admin, limit: Limit = 100, cursor: Cursor = None
) -> dict[str, Any]:
    """Every token, revoked ones included, without secrets."""
    tokens = [t.to_dict() for t in auth.list_tokens(request.app.state.store)]
    items, next_cursor = page_after(tokens, lambda t: t["id"], cursor, limit)
    return {"items": items, "next": next_cursor}


@router.post("/v1/tokens", response_model=TokenCreated, status_code=201)
def create_token(request: Request, body: TokenIn, who: Admin) -> dict[str, Any]:
    """Create a token; the response holds its plaintext, shown this once only."""
    info, plaintext = auth.create_token(
        request.app.state.store, body.name, body.scopes, body.models, actor=who.actor
    )
    return {**info.to_dict(), "token": plaintext}


@router.delete("/v1/tokens/{prefix}", response_model=TokenOut)
def revoke_token(
    request: Request,
    prefix: Annotated[str, Path(pattern=r"^[0-9a-f]{8}$")],
    who: Admin,
) -> dict[str, Any]:
    """Revoke a token by its public prefix (every replica within the auth cache's TTL)."""
    info = auth.revoke_token(request.app.state.store, prefix, actor=who.actor)
    request.app.state.auth.forget(info.id)
    return info.to_dict()
