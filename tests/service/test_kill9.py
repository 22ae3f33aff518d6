"""``kill -9`` during concurrent logging loses no acknowledged row and duplicates none.

Three cycles of: start ``steward serve``, four client threads sending 1–3-row requests,
``SIGKILL`` mid-traffic, restart. Every request that got a 2xx must be in the store with
exactly its rows, once; requests cut off by the kill may be stored or not, never twice.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
from serve_process import ServeProcess
from sqlalchemy import func, select

from conftest import served_model
from steward.service.auth import create_token
from steward.store import Store
from steward.store.tables import PredictionRow

CLIENTS = 4


def _client_loop(
    url: str, token: str, k: int, stop: threading.Event, acked: dict[str, int]
) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    sent = 0
    with httpx.Client(base_url=url, headers=headers, timeout=10) as client:
        while not stop.is_set():
            n = 1 + sent % 3
            rows = [{"x1": float(i), "x2": 0.5} for i in range(n)]
            ids = [f"c{k}-{time.monotonic_ns()}-{i}" for i in range(n)]
            sent += 1
            try:
                response = client.post("/v1/models/credit/predict", json={"rows": rows, "ids": ids})
            except httpx.HTTPError:
                continue  # the server is gone: this request is not acknowledged
            if response.status_code == 200:
                acked[response.json()["request_id"]] = n


def _traffic(server: ServeProcess, token: str, acked: dict[str, int], seconds: float) -> None:
    stop = threading.Event()
    threads = [
        threading.Thread(target=_client_loop, args=(server.url, token, k, stop, acked))
        for k in range(CLIENTS)
    ]
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    server.kill()  # mid-traffic
    stop.set()
    for thread in threads:
        thread.join(30)


def test_kill_9_loses_and_duplicates_nothing(store_url: str, tmp_path: Path) -> None:
    home = tmp_path / "home"
    store = Store.open(store_url, home_dir=home)
    served_model(store, tmp_path / "models")
    token = create_token(store, "load", ["predict"], actor="test")[1]
    acked: dict[str, int] = {}
    for cycle in range(3):
        server = ServeProcess(store_url, home, tmp_path / "serve.log").start()
        before = len(acked)
        _traffic(server, token, acked, seconds=1.5)
        assert len(acked) > before, f"cycle {cycle}: no request was acknowledged"
    with store.session() as session:
        stored = dict(
            session.execute(
                select(PredictionRow.request_id, func.count())
                .where(PredictionRow.role == "champion")
                .group_by(PredictionRow.request_id)
            ).all()
        )
        duplicated_ids = session.execute(
            select(PredictionRow.row_id)
            .group_by(PredictionRow.row_id, PredictionRow.role)
            .having(func.count() > 1)
        ).all()
    missing = {rid: n for rid, n in acked.items() if stored.get(rid) != n}
    assert not missing, f"{len(missing)} acknowledged requests not stored exactly: {missing}"
    assert duplicated_ids == []
    assert sum(stored.values()) >= sum(acked.values())
    store.dispose()
