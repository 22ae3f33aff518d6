"""Two ``steward serve`` processes sharing one PostgreSQL store and one artifact folder."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
from serve_process import ServeProcess
from sqlalchemy import func, select

from conftest import served_model
from steward.service.auth import create_token
from steward.store import Store
from steward.store.tables import PredictionRow


def _client(server: ServeProcess, token: str) -> httpx.Client:
    return httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"})


def test_two_replicas_share_logs_labels_and_promotions(pg_url: str, tmp_path: Path) -> None:
    home = tmp_path / "home"
    store = Store.open(pg_url, home_dir=home)
    served_model(store, tmp_path / "models")
    challenger = served_model(store, tmp_path / "models", seed=1, alias=None)
    token = create_token(store, "all", ["predict", "label", "read", "admin"], actor="t")[1]
    servers = [ServeProcess(pg_url, home, tmp_path / f"serve{i}.log") for i in range(2)]
    try:
        for server in servers:
            server.start()
        a, b = (_client(server, token) for server in servers)
        acked: dict[str, int] = {}
        for k in range(20):
            client = a if k % 2 else b
            rows = [{"x1": float(k), "x2": 0.5}, {"x1": -float(k), "x2": 0.5}]
            body = client.post(
                "/v1/models/credit/predict", json={"rows": rows, "ids": [f"p{k}", f"n{k}"]}
            ).json()
            assert body["version"] == 1
            acked[body["request_id"]] = 2
        with store.session() as session:
            stored = dict(
                session.execute(
                    select(PredictionRow.request_id, func.count()).group_by(
                        PredictionRow.request_id
                    )
                ).all()
            )
        assert stored == acked  # every prediction through either replica is logged

        ids = [f"p{k}" for k in range(20)]
        sent = a.post("/v1/models/credit/labels", json={"ids": ids, "labels": [1] * 20})
        assert sent.status_code == 200, sent.text
        coverage = b.get("/v1/models/credit/labels/coverage").json()["items"]
        assert sum(w["labelled"] for w in coverage) == 20
        assert sum(w["predictions"] for w in coverage) == 40

        moved = a.post(
            "/v1/models/credit/aliases", json={"alias": "champion", "version": challenger}
        )
        assert moved.status_code == 200, moved.text
        deadline = time.monotonic() + 5
        row = {"rows": [{"x1": 1.0, "x2": 0.5}]}
        while b.post("/v1/models/credit/predict", json=row).json()["version"] != challenger:
            assert time.monotonic() < deadline, "the other replica did not serve the promotion"
            time.sleep(0.1)
        assert a.post("/v1/models/credit/predict", json=row).json()["version"] == challenger
    finally:
        codes = [server.stop() for server in servers]  # stop both before asserting
        store.dispose()
    assert set(codes) <= {0, -15}  # uvicorn ≥ 0.29 re-raises SIGTERM after a clean stop
    for server in servers:
        assert "Application shutdown complete" in server.log.read_text()
