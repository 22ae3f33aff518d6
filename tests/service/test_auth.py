"""Every route × every scope gets the right 401/403/2xx; tokens are random, hashed, revocable.

The route table is checked against the app's own route list, so a route added without a
case here fails ``test_every_route_has_a_case``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import JSON, String, Text, select

from conftest import Live, served_model
from steward.registry import ModelRegistry
from steward.service.app import ROUTERS
from steward.service.auth import (
    SCOPES,
    create_token,
    ensure_admin_token,
    list_tokens,
    revoke_token,
    verify,
)
from steward.store import Store
from steward.store.tables import WindowRow, metadata, utcnow


@dataclass
class World:
    live: Live
    registry: ModelRegistry
    window_id: int
    tokens: dict[str, str] = field(default_factory=dict)  # scope -> token for every model
    elsewhere: dict[str, str] = field(default_factory=dict)  # scope -> token for "other" only
    revoked: str = ""


@pytest.fixture(scope="module")
def world(serve_module: Callable[..., Live], tmp_path_factory: pytest.TempPathFactory) -> Any:
    home = tmp_path_factory.mktemp("auth")
    store = Store.open(f"sqlite:///{home / 'steward.db'}", home_dir=home)
    served_model(store, home / "m")
    served_model(store, home / "m", alias=None, seed=1)
    served_model(store, home / "m", name="other")
    with store.session() as session:
        window = WindowRow(model_id=1, version_id=1, role="served", start=utcnow(), end=utcnow())
        session.add(window)
        session.flush()
        window_id = window.id
    live = serve_module(store)
    found = World(live=live, registry=ModelRegistry(store), window_id=window_id)
    for scope in SCOPES:
        found.tokens[scope] = live.token(scope, name=scope)
        found.elsewhere[scope] = live.token(scope, models=["other"], name=f"{scope}-other")
    found.revoked = live.token(*SCOPES, name="revoked")
    revoke_token(store, found.revoked.split("_")[1])
    yield found
    store.dispose()


# --- the route table --------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    scope: str | None  # None: no token needed
    path: str
    json: Any = None
    status: int = 200
    setup: Callable[[World], str | None] | None = None  # before an allowed call; new path


def _promote(alias: str, version: int) -> Callable[[World], None]:
    def run(world: World) -> None:
        world.registry.promote("credit", version, alias, actor="test")

    return run


def _new_token_path(world: World) -> str:
    info, _ = create_token(world.live.store, "doomed", ["read"])
    return f"/v1/tokens/{info.prefix}"


def _findings_path(world: World) -> str:
    return f"/v1/models/credit/windows/{world.window_id}/findings"


M = "/v1/models/credit"
CASES: dict[tuple[str, str], Case] = {
    ("GET", "/healthz"): Case(None, "/healthz"),
    ("GET", "/readyz"): Case("read", "/readyz"),
    ("GET", "/metrics"): Case("read", "/metrics"),
    ("GET", "/openapi.json"): Case("read", "/openapi.json"),
    ("POST", "/v1/models/{name}/predict"): Case(
        "predict", f"{M}/predict", {"rows": [{"x1": 0.1, "x2": -0.3}]}
    ),
    ("POST", "/v1/models/{name}/labels"): Case(
        "label", f"{M}/labels", {"ids": ["r1"], "labels": [1]}
    ),
    ("GET", "/v1/models/{name}/labels/coverage"): Case("read", f"{M}/labels/coverage"),
    ("GET", "/v1/models"): Case("read", "/v1/models"),
    ("GET", "/v1/models/{name}"): Case("read", M),
    ("GET", "/v1/models/{name}/versions"): Case("read", f"{M}/versions"),
    ("GET", "/v1/models/{name}/versions/{version}"): Case("read", f"{M}/versions/1"),
    ("GET", "/v1/models/{name}/aliases"): Case("read", f"{M}/aliases"),
    ("GET", "/v1/models/{name}/history"): Case("read", f"{M}/history"),
    ("GET", "/v1/models/{name}/windows"): Case("read", f"{M}/windows"),
    ("GET", "/v1/models/{name}/windows/{window_id}/findings"): Case(
        "read", f"{M}/windows/1/findings", setup=_findings_path
    ),
    ("GET", "/v1/models/{name}/alerts"): Case("read", f"{M}/alerts"),
    ("GET", "/v1/models/{name}/shadow"): Case("read", f"{M}/shadow"),
    ("POST", "/v1/models/{name}/aliases"): Case(
        "admin", f"{M}/aliases", {"alias": "fallback", "version": 2, "reason": "test"}
    ),
    ("DELETE", "/v1/models/{name}/aliases/{alias}"): Case(
        "admin", f"{M}/aliases/challenger?version=2", setup=_promote("challenger", 2)
    ),
    ("POST", "/v1/models/{name}/rollback"): Case(
        "admin", f"{M}/rollback", {"reason": "test"}, setup=_promote("champion", 2)
    ),
    ("POST", "/v1/models/{name}/versions/{version}/trust"): Case("admin", f"{M}/versions/1/trust"),
    ("GET", "/v1/tokens"): Case("admin", "/v1/tokens"),
    ("POST", "/v1/tokens"): Case("admin", "/v1/tokens", {"name": "x", "scopes": ["read"]}, 201),
    ("DELETE", "/v1/tokens/{prefix}"): Case("admin", "/v1/tokens/0123abcd", setup=_new_token_path),
}


def _app_routes() -> set[tuple[str, str]]:
    routes = set()
    for router in ROUTERS:
        for route in router.routes:
            for method in getattr(route, "methods", None) or ():
                if method != "HEAD":
                    routes.add((method, route.path))
    return routes


def test_every_route_has_a_case(world: World) -> None:
    assert _app_routes() == set(CASES)
    documented = {
        (method.upper(), path)
        for path, operations in world.live.app.openapi()["paths"].items()
        for method in operations
    }
    assert documented | {("GET", "/openapi.json")} == set(CASES)


def _call(world: World, route: tuple[str, str], token: str | None, allowed: bool) -> Any:
    case = CASES[route]
    path = case.path
    if allowed and case.setup is not None:
        path = case.setup(world) or path
    return world.live.client(token).request(route[0], path, json=case.json)


@pytest.mark.parametrize("route", sorted(CASES), ids=lambda r: f"{r[0]} {r[1]}")
def test_route_answers_each_scope(world: World, route: tuple[str, str]) -> None:
    case = CASES[route]
    if case.scope is None:
        assert _call(world, route, None, allowed=True).status_code == case.status
        return
    for token in (None, "stw_nothing", "stw_0123abcd_" + "A" * 43, world.revoked):
        response = _call(world, route, token, allowed=False)
        assert response.status_code == 401, (token, response.text)
        assert response.headers["www-authenticate"] == "Bearer"
        assert response.json()["error"]["type"] == "AuthError"
    for scope in SCOPES:
        granted = scope in (case.scope, "admin")
        response = _call(world, route, world.tokens[scope], allowed=granted)
        assert response.status_code == (case.status if granted else 403), (scope, response.text)
    limited = "{name}" in route[1] or case.scope == "admin"
    elsewhere = _call(world, route, world.elsewhere[case.scope], allowed=not limited)
    assert elsewhere.status_code == (403 if limited else case.status), elsewhere.text
    if limited:
        assert elsewhere.json()["error"]["type"] == "Forbidden"


def test_a_token_for_one_model_sees_only_that_model(world: World) -> None:
    client = world.live.client(world.elsewhere["read"])
    assert [m["name"] for m in client.get("/v1/models").json()["items"]] == ["other"]
    assert client.get("/v1/models/other/versions").status_code == 200
    denied = client.get("/v1/models/credit/versions")
    assert denied.status_code == 403
    assert "'credit'" in denied.json()["error"]["message"]


def test_a_tampered_secret_is_rejected(world: World) -> None:
    token = world.tokens["read"]
    assert world.live.client(token).get("/v1/models").status_code == 200
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert world.live.client(tampered).get("/v1/models").status_code == 401


# --- tokens in the store ----------------------------------------------------------------


def test_token_format_and_verification(sqlite_store: Store) -> None:
    info, token = create_token(sqlite_store, "ci", ["read", "label", "read"], ["b", "a"])
    match = re.fullmatch(r"stw_([0-9a-f]{8})_([A-Za-z0-9_-]{43,})", token)
    assert match is not None and match.group(1) == info.prefix
    assert (info.scopes, info.models) == (["label", "read"], ["a", "b"])
    principal = verify(sqlite_store, token)
    assert (principal.name, principal.scopes, principal.models) == (
        "ci",
        frozenset({"label", "read"}),
        ("a", "b"),
    )
    assert principal.has("read") and not principal.has("admin")
    assert principal.actor == "token:ci"


@pytest.mark.parametrize(
    "scopes, models", [([], None), (["root"], None), (["read"], [])], ids=["none", "bad", "nomodel"]
)
def test_bad_token_requests_are_refused(
    sqlite_store: Store, scopes: list[str], models: list[str] | None
) -> None:
    from steward._exceptions import InputError

    with pytest.raises(InputError):
        create_token(sqlite_store, "x", scopes, models)


def test_plaintext_never_reaches_the_database(
    store: Store, serve: Callable[..., Live], tmp_path: Path
) -> None:
    live = serve(store)
    _, made_here = create_token(store, "direct", ["read"])
    created = live.client(live.admin).post(
        "/v1/tokens", json={"name": "api", "scopes": ["label"], "models": ["m"]}
    )
    assert created.status_code == 201
    secrets = [t.split("_", 2)[2] for t in (live.admin, made_here, created.json()["token"])]
    texts = list(_every_text_value(store))
    assert len(texts) > 10
    for secret in secrets:
        assert not any(secret in text for text in texts)
    assert all(t.prefix for t in list_tokens(store))


def _every_text_value(store: Store) -> Any:
    with store.engine.connect() as connection:
        for table in metadata.sorted_tables:
            columns = [c for c in table.columns if isinstance(c.type, (String, Text, JSON))]
            if not columns:
                continue
            for row in connection.execute(select(*columns)):
                yield from (str(value) for value in row if value is not None)


def test_first_start_admin_token_only_once(sqlite_store: Store) -> None:
    first = ensure_admin_token(sqlite_store)
    assert first is not None and first.startswith("stw_")
    assert verify(sqlite_store, first).scopes == frozenset({"admin"})
    assert ensure_admin_token(sqlite_store) is None
    revoke_token(sqlite_store, first.split("_")[1])
    assert ensure_admin_token(sqlite_store) not in (None, first)


# --- revocation and the cache -----------------------------------------------------------


def test_revoked_token_fails_at_once_with_no_cache(
    sqlite_store: Store, serve: Callable[..., Live]
) -> None:
    live = serve(sqlite_store)
    token = live.token("read")
    client = live.client(token)
    assert client.get("/v1/models").status_code == 200
    revoke_token(sqlite_store, token.split("_")[1])
    assert client.get("/v1/models").status_code == 401


def test_revocation_takes_effect_within_the_cache_ttl(
    sqlite_store: Store, serve: Callable[..., Live]
) -> None:
    live = serve(sqlite_store, auth_cache_ttl_s=0.5)
    token = live.token("read")
    client = live.client(token)
    assert client.get("/v1/models").status_code == 200
    revoke_token(sqlite_store, token.split("_")[1])  # as `steward token revoke` would
    assert client.get("/v1/models").status_code == 200  # still cached
    time.sleep(0.6)
    assert client.get("/v1/models").status_code == 401


def test_revoking_over_the_api_applies_at_once_in_this_process(
    sqlite_store: Store, serve: Callable[..., Live]
) -> None:
    live = serve(sqlite_store, auth_cache_ttl_s=60)
    token = live.token("read")
    assert live.client(token).get("/v1/models").status_code == 200
    revoked = live.client(live.admin).delete(f"/v1/tokens/{token.split('_')[1]}")
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
    assert live.client(token).get("/v1/models").status_code == 401
