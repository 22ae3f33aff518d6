"""API tokens and the one authorization layer every request passes through.

A token reads ``stw_<prefix>_<secret>``: the 8-character public prefix finds its row, the
secret (32 random bytes, URL-safe) is kept only as its SHA-256 and compared in constant
time. Tokens are shown once, when created. Scopes are ``predict``, ``label``, ``read`` and
``admin`` (admin implies the others); a token may be limited to some models.

Routes declare what they need with ``Depends(require("read"))`` and never look at tokens
themselves. :func:`require` checks the token (a short per-process cache spares the store a
query per request; revocation takes effect within ``auth_cache_ttl_s``), the scope, the
``{name}`` model in the path, and the token's rate limit.

>>> token = "stw_0123abcd_" + "x" * 43
>>> parse(token)
('0123abcd', 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx')
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from steward._exceptions import AuthError, Forbidden, InputError, NotFound, RateLimited
from steward.service.limits import RateLimiter
from steward.store import Store
from steward.store.tables import AuditRow, TokenRow, utcnow

SCOPES = ("predict", "label", "read", "admin")
_TOKEN = re.compile(r"^stw_([0-9a-f]{8})_([A-Za-z0-9_-]{43,})$")
_CACHE_MAX = 10_000


@dataclass(frozen=True)
class TokenInfo:
    """What the store keeps about a token (never its secret)."""

    id: int
    prefix: str
    name: str
    scopes: list[str]
    models: list[str] | None
    created_at: datetime
    created_by: str
    revoked_at: datetime | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "prefix": self.prefix,
            "name": self.name,
            "scopes": self.scopes,
            "models": self.models,
            "created_at": self.created_at.isoformat(),
            "created_by": self.created_by,
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
        }


@dataclass(frozen=True)
class Principal:
    """The verified caller of one request."""

    token_id: int
    name: str
    scopes: frozenset[str]
    models: tuple[str, ...] | None

    def has(self, scope: str) -> bool:
        return "admin" in self.scopes or scope in self.scopes

    def allows(self, model: str) -> bool:
        return self.models is None or model in self.models

    @property
    def actor(self) -> str:
        """The audit-log actor for actions this caller takes."""
        return f"token:{self.name}"


# --- tokens in the store ----------------------------------------------------------------


def create_token(
    store: Store,
    name: str,
    scopes: Iterable[str],
    models: Iterable[str] | None = None,
    *,
    actor: str = "system",
) -> tuple[TokenInfo, str]:
    """Create a token; returns its stored info and the plaintext, which is never kept."""
    scope_list, model_list = _check_token_request(name, scopes, models)
    secret = secrets.token_urlsafe(32)
    with store.session() as session:
        prefix = _free_prefix(session)
        row = TokenRow(
            prefix=prefix,
            hash=_digest(secret),
            name=name,
            scopes=scope_list,
            models=model_list,
            created_by=actor,
        )
        session.add(row)
        session.flush()
        session.add(AuditRow(actor=actor, action="token.create", details=_audit(row)))
        info = _info(row)
    return info, f"stw_{prefix}_{secret}"


def list_tokens(store: Store, *, include_revoked: bool = True) -> list[TokenInfo]:
    """Every token (oldest first), without secrets."""
    with store.session() as session:
        query = select(TokenRow).order_by(TokenRow.id)
        if not include_revoked:
            query = query.where(TokenRow.revoked_at.is_(None))
        return [_info(row) for row in session.scalars(query)]


def revoke_token(store: Store, prefix: str, *, actor: str = "system") -> TokenInfo:
    """Revoke the token with ``prefix`` (revoking twice keeps the first time)."""
    with store.session() as session:
        row = session.scalar(select(TokenRow).where(TokenRow.prefix == prefix))
        if row is None:
            raise NotFound(f"no token with prefix {prefix!r}")
        if row.revoked_at is None:
            row.revoked_at = utcnow()
            session.add(AuditRow(actor=actor, action="token.revoke", details=_audit(row)))
        return _info(row)


def has_admin_token(store: Store) -> bool:
    """Whether an unrestricted, unrevoked ``admin`` token exists."""
    return any(
        "admin" in token.scopes and token.models is None
        for token in list_tokens(store, include_revoked=False)
    )


def ensure_admin_token(store: Store) -> str | None:
    """On first start, create an ``admin`` token and return it; ``None`` if one exists."""
    if has_admin_token(store):
        return None
    _, plaintext = create_token(store, "admin", ["admin"], actor="steward serve (first start)")
    return plaintext


def verify(store: Store, token: str) -> Principal:
    """The caller a plaintext token names; :class:`AuthError` if unknown or revoked."""
    prefix, secret = parse(token)
    with store.session() as session:
        row = session.scalar(select(TokenRow).where(TokenRow.prefix == prefix))
        if row is None or not hmac.compare_digest(row.hash, _digest(secret)):
            raise AuthError("unknown token")
        if row.revoked_at is not None:
            raise AuthError("token revoked")
        models = tuple(row.models) if row.models is not None else None
        return Principal(row.id, row.name, frozenset(row.scopes), models)


def parse(token: str) -> tuple[str, str]:
    """``(prefix, secret)`` of a well-formed token; :class:`AuthError` otherwise."""
    match = _TOKEN.match(token)
    if match is None:
        raise AuthError("malformed token: expected stw_<prefix>_<secret>")
    return match.group(1), match.group(2)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _free_prefix(session: Any) -> str:
    while True:
        prefix = secrets.token_hex(4)
        if session.scalar(select(TokenRow.id).where(TokenRow.prefix == prefix)) is None:
            return prefix


def _check_token_request(
    name: str, scopes: Iterable[str], models: Iterable[str] | None
) -> tuple[list[str], list[str] | None]:
    if not name or len(name) > 200 or not name.isprintable():
        raise InputError("token name must be 1-200 printable characters")
    scope_list = sorted(set(scopes))
    unknown = [s for s in scope_list if s not in SCOPES]
    if not scope_list or unknown:
        raise InputError(f"scopes must be some of {list(SCOPES)}; got {scope_list}")
    model_list = sorted(set(models)) if models is not None else None
    if model_list is not None and not model_list:
        raise InputError("models, when given, must name at least one model")
    return scope_list, model_list


def _info(row: TokenRow) -> TokenInfo:
    return TokenInfo(
        id=row.id,
        prefix=row.prefix,
        name=row.name,
        scopes=list(row.scopes),
        models=list(row.models) if row.models is not None else None,
        created_at=row.created_at,
        created_by=row.created_by,
        revoked_at=row.revoked_at,
    )


def _audit(row: TokenRow) -> dict[str, Any]:
    return {"prefix": row.prefix, "name": row.name, "scopes": row.scopes, "models": row.models}


# --- the request layer ------------------------------------------------------------------


class Authenticator:
    """Verifies bearer tokens for one app, caching verified ones for ``ttl_s`` seconds."""

    def __init__(self, store: Store, ttl_s: float, limiter: RateLimiter) -> None:
        self.store = store
        self.ttl_s = ttl_s
        self.limiter = limiter
        self._cache: dict[str, tuple[float, Principal]] = {}

    async def authenticate(self, token: str | None) -> Principal:
        if not token:
            raise AuthError("missing bearer token")
        key = hashlib.sha256(token.encode()).hexdigest()
        cached = self._cache.get(key)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        principal = await run_in_threadpool(verify, self.store, token)
        if self.ttl_s > 0:
            if len(self._cache) >= _CACHE_MAX:
                self._cache.clear()
            self._cache[key] = (time.monotonic() + self.ttl_s, principal)
        return principal

    def forget(self, token_id: int) -> None:
        """Drop a revoked token from this process's cache at once."""
        for key, (_, principal) in list(self._cache.items()):
            if principal.token_id == token_id:
                self._cache.pop(key, None)

    def limit(self, principal: Principal) -> None:
        wait = self.limiter.take(principal.token_id)
        if wait > 0:
            raise RateLimited(f"rate limit exceeded for token {principal.name!r}", wait)


def authorize(principal: Principal, scope: str, model: str | None) -> None:
    """Raise :class:`Forbidden` unless ``principal`` may use ``scope`` on ``model``."""
    if not principal.has(scope):
        raise Forbidden(f"token {principal.name!r} lacks the {scope!r} scope")
    if model is not None and not principal.allows(model):
        raise Forbidden(f"token {principal.name!r} may not use model {model!r}")
    if model is None and scope == "admin" and principal.models is not None:
        raise Forbidden(f"token {principal.name!r} is limited to some models; needs a full admin")


_bearer = HTTPBearer(auto_error=False, description="an API token: stw_<prefix>_<secret>")
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def require(scope: str) -> Callable[..., Awaitable[Principal]]:
    """A FastAPI dependency admitting callers whose token grants ``scope``."""
    if scope not in SCOPES:
        raise ValueError(f"unknown scope {scope!r}")

    async def dependency(request: Request, credentials: Credentials) -> Principal:
        auth: Authenticator = request.app.state.auth
        principal = await auth.authenticate(credentials.credentials if credentials else None)
        request.state.principal = principal
        authorize(principal, scope, request.path_params.get("name"))
        auth.limit(principal)
        return principal

    dependency.__name__ = f"require_{scope}"
    return dependency
