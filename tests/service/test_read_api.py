"""The read and management API: values, pagination, actors, and errors in one body shape."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from conftest import Live, served_model
from steward.store import Store
from steward.store.tables import AlertRow, AuditRow, FindingRow, ModelRow, WindowRow

T0 = datetime(2026, 3, 2, tzinfo=timezone.utc)


@pytest.fixture
def live(sqlite_store: Store, serve: Callable[..., Live], tmp_path: Path) -> Live:
    served_model(sqlite_store, tmp_path / "m")
    served_model(sqlite_store, tmp_path / "m", alias=None, seed=1)
    return serve(sqlite_store)


def _all_pages(client: Any, path: str, limit: int) -> list[list[Any]]:
    pages, cursor = [], None
    while True:
        params = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        body = client.get(path, params=params).json()
        pages.append(body["items"])
        cursor = body["next"]
        if cursor is None:
            return pages


def test_models_are_listed_by_name_in_pages(live: Live) -> None:
    with live.store.session() as session:
        session.add_all(ModelRow(name=n, created_by="t") for n in ("zeta", "alpha", "mid"))
    pages = _all_pages(live.client(live.admin), "/v1/models", limit=2)
    assert [[m["name"] for m in page] for page in pages] == [["alpha", "credit"], ["mid", "zeta"]]
    credit = pages[0][1]
    assert (credit["versions"], credit["aliases"], credit["created_by"]) == (
        2,
        {"champion": [1]},
        "test",
    )
    assert live.client(live.admin).get("/v1/models/credit").json() == credit


def test_versions_aliases_and_one_version(live: Live) -> None:
    client = live.client(live.admin)
    pages = _all_pages(client, "/v1/models/credit/versions", limit=1)
    assert [[v["version"] for v in page] for page in pages] == [[1], [2]]
    one = client.get("/v1/models/credit/versions/2").json()
    assert (one["model"], one["version"], one["format"], one["task"]) == (
        "credit",
        2,
        "skops",
        "classification",
    )
    assert one["features"] == ["x1", "x2"] and len(one["sha256"]) == 64
    assert [c["name"] for c in one["schema"]["columns"]] == ["x1", "x2", "y"]
    assert client.get("/v1/models/credit/aliases").json() == {
        "items": [{"alias": "champion", "versions": [1]}],
        "next": None,
    }
    missing = client.get("/v1/models/credit/versions/9")
    assert missing.status_code == 404 and "versions: [1, 2]" in missing.json()["error"]["message"]
    assert client.get("/v1/models/nope/versions").status_code == 404


def test_management_moves_aliases_with_the_token_as_actor(live: Live) -> None:
    admin = live.client(live.admin)
    promoted = admin.post(
        "/v1/models/credit/aliases", json={"alias": "champion", "version": 2, "reason": "better"}
    )
    assert promoted.status_code == 200
    assert (promoted.json()["version"], promoted.json()["previous"]) == (2, 1)
    again = admin.post("/v1/models/credit/aliases", json={"alias": "champion", "version": 2})
    assert again.status_code == 409 and "already the champion" in again.json()["error"]["message"]
    rolled = admin.post("/v1/models/credit/rollback", json={"reason": "worse"}).json()
    assert (rolled["action"], rolled["version"], rolled["previous"]) == ("rollback", 1, 2)
    admin.post("/v1/models/credit/aliases", json={"alias": "challenger", "version": 2})
    demoted = admin.delete("/v1/models/credit/aliases/challenger", params={"version": 2})
    assert demoted.json()["action"] == "demote"
    history = admin.get("/v1/models/credit/history").json()["items"]
    assert [(e["action"], e["alias"], e["actor"]) for e in history[1:]] == [
        ("promote", "champion", "token:admin"),
        ("rollback", "champion", "token:admin"),
        ("promote", "challenger", "token:admin"),
        ("demote", "challenger", "token:admin"),
    ]
    assert history[1]["reason"] == "better"
    trusted = admin.post("/v1/models/credit/versions/2/trust", json={"reason": "reviewed"})
    assert trusted.json()["trusted"] is True
    with live.store.session() as session:
        audit = session.execute(select(AuditRow.action, AuditRow.actor)).all()
    by_admin = {action for action, actor in audit if actor == "token:admin"}
    assert by_admin == {"alias.promote", "alias.rollback", "alias.demote", "model.trust"}


def test_tokens_over_the_api(live: Live) -> None:
    admin = live.client(live.admin)
    made = admin.post("/v1/tokens", json={"name": "ci", "scopes": ["read"], "models": ["credit"]})
    assert made.status_code == 201
    token = made.json()["token"]
    assert token.startswith(f"stw_{made.json()['prefix']}_")
    assert live.client(token).get("/v1/models/credit").status_code == 200
    listed = admin.get("/v1/tokens").json()["items"]
    assert [(t["name"], t["scopes"], t["models"]) for t in listed] == [
        ("admin", ["admin"], None),
        ("ci", ["read"], ["credit"]),
    ]
    assert all("token" not in t and "hash" not in t for t in listed)
    assert listed[1]["created_by"] == "token:admin"
    bad = admin.post("/v1/tokens", json={"name": "x", "scopes": ["root"]})
    assert bad.status_code == 422 and "scopes" in bad.json()["error"]["message"]
    assert admin.delete(f"/v1/tokens/{made.json()['prefix']}").status_code == 200
    assert live.client(token).get("/v1/models/credit").status_code == 401
    assert admin.delete("/v1/tokens/00000000").status_code == 404


def _monitoring_rows(store: Store) -> tuple[int, int]:
    with store.session() as session:
        windows = [
            WindowRow(
                model_id=1,
                version_id=1,
                role="served",
                start=T0 + timedelta(days=d),
                end=T0 + timedelta(days=d + 1),
                rows=100 + d,
                labelled=d,
                profile=b"\x00" * 64,
                state="closed" if d < 2 else "open",
            )
            for d in range(3)
        ]
        session.add_all(windows)
        session.flush()
        session.add_all(
            FindingRow(
                model_id=1,
                version_id=1,
                window_id=windows[0].id,
                check=f"drift.{name}",
                column="x1",
                verdict="fail",
                statistic=stat,
                p_value=0.001,
                effect_size=0.4,
                body={"check": f"drift.{name}"},
            )
            for name, stat in (("ks", 0.3), ("psi", float("inf")))
        )
        for state in ("firing", "resolved"):
            session.add(
                AlertRow(model_id=1, rule=f"r-{state}", group_key="", state=state, severity="warn")
            )
        return windows[0].id, windows[2].id


def test_windows_findings_and_alerts(live: Live) -> None:
    first, newest = _monitoring_rows(live.store)
    client = live.client(live.admin)
    pages = _all_pages(client, "/v1/models/credit/windows", limit=2)
    windows = [w for page in pages for w in page]
    assert [w["id"] for w in windows] == [newest, newest - 1, first]
    assert all("profile" not in w for w in windows)
    assert (windows[0]["rows"], windows[0]["labelled"], windows[0]["state"]) == (102, 2, "open")
    assert (windows[0]["start"], windows[0]["version"]) == ("2026-03-04T00:00:00Z", 1)
    findings = client.get(f"/v1/models/credit/windows/{first}/findings").json()["items"]
    assert [(f["check"], f["statistic"]) for f in findings] == [
        ("drift.ks", 0.3),
        ("drift.psi", None),  # JSON has no infinity
    ]
    assert client.get(f"/v1/models/credit/windows/{newest}/findings").json()["items"] == []
    assert client.get("/v1/models/credit/windows/999/findings").status_code == 404
    alerts = client.get("/v1/models/credit/alerts").json()["items"]
    assert [a["rule"] for a in alerts] == ["r-resolved", "r-firing"]
    firing = client.get("/v1/models/credit/alerts", params={"state": "firing"}).json()
    assert [a["rule"] for a in firing["items"]] == ["r-firing"]


@pytest.mark.parametrize("cursor", ["!!", "bm90IGpzb24", "InN0ciI"], ids=["b64", "json", "type"])
def test_a_foreign_cursor_is_422(live: Live, cursor: str) -> None:
    response = live.client(live.admin).get("/v1/models/credit/windows", params={"cursor": cursor})
    assert response.status_code == 422
    assert "cursor" in response.json()["error"]["message"]


def test_validation_errors_name_the_field(live: Live) -> None:
    response = live.client(live.admin).get("/v1/models/credit/versions/abc")
    assert response.status_code == 422
    body = response.json()["error"]
    assert body["type"] == "ValidationError"
    assert body["fields"][0]["field"] == "path.version"


def test_a_bug_is_a_bare_500_and_the_connection_survives(live: Live) -> None:
    def boom() -> None:
        raise RuntimeError("secret internals /etc/passwd")

    live.app.add_api_route("/boom", boom)
    client = live.client(live.admin)
    response = client.get("/boom")
    assert response.status_code == 500
    assert response.json()["error"]["type"] == "InternalError"
    assert "secret" not in response.text and "Traceback" not in response.text
    assert response.headers["x-request-id"] in response.json()["error"]["message"]
    assert client.get("/healthz").status_code == 200  # same keep-alive connection


def test_shadow_comparison_is_served(live: Live) -> None:
    body = live.client(live.admin).get("/v1/models/credit/shadow").json()
    assert (body["model"], body["challengers"]) == ("credit", [])
    assert live.client(live.admin).get("/v1/models/nope/shadow").status_code == 404


def test_wrong_method_lists_every_allowed_method(live: Live) -> None:
    response = live.client(live.admin).put("/v1/models/credit/aliases")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST"
    assert response.json()["error"]["type"] == "HTTPError"


def test_not_ready_until_the_gateway_has_started(sqlite_store: Store) -> None:
    import asyncio

    import httpx

    from steward.service.app import create_app
    from steward.service.auth import create_token

    app = create_app(sqlite_store)  # the lifespan (which starts the gateway) has not run
    token = create_token(sqlite_store, "probe", ["read"])[1]

    async def probe() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://steward") as client:
            return await client.get("/readyz", headers={"Authorization": f"Bearer {token}"})

    response = asyncio.run(probe())
    assert response.status_code == 503
    assert response.json()["error"] == {
        "type": "NotReady",
        "message": "the gateway has not started",
    }
