"""Fallback on champion error, timeout and open circuit; the breaker's probe; clear 503s."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import slow_models as sm
from sqlalchemy import select

from steward.plan.versions import apply_plan
from steward.registry import ModelRegistry
from steward.store.tables import PredictionRow

ROW = {"rows": [{"x1": 1.0, "x2": 0.0}]}
PLAN = """model: credit
fallback:
  timeout_ms: 300
  breaker_failures: 3
  breaker_window_s: 30
  breaker_reset_s: 2
"""


def _setup(store: Any, folder: Path, champion: Any, fallback: bool = True) -> ModelRegistry:
    folder.mkdir(parents=True, exist_ok=True)
    registry = ModelRegistry(store)
    sm.register(registry, "credit", sm.dump_pickle(champion, folder, "champion"), alias="champion")
    if fallback:
        good = sm.dump_pickle(sm.GoodModel(invert=True), folder, "fallback")
        sm.register(registry, "credit", good, alias="fallback")
    apply_plan(store, PLAN, actor="test")
    return registry


def _ready(live: Any) -> Any:
    """The server once its gateway has loaded the model (so timings are the model's)."""
    deadline = time.monotonic() + 10
    while live.app.state.gateway.models.cached("credit") is None:
        assert time.monotonic() < deadline, "model not loaded within 10 s"
        time.sleep(0.02)
    return live.client(live.token("predict"))


def _predict(client: Any) -> tuple[dict[str, Any], float]:
    started = time.perf_counter()
    response = client.post("/v1/models/credit/predict", json=ROW)
    assert response.status_code == 200, response.text
    return response.json(), time.perf_counter() - started


def test_hanging_champion_is_answered_by_the_fallback_then_the_breaker_opens(
    serve: Any, sqlite_store: Any, tmp_path: Path
) -> None:
    flag = tmp_path / "hang"
    flag.touch()
    model = sm.FlagModel(str(flag), mode="hang", seconds=3.0)
    _setup(sqlite_store, tmp_path / "models", model)
    live = serve(sqlite_store)
    client = _ready(live)
    for _ in range(3):  # three timeouts: each answered by the fallback within 300 + 100 ms
        body, seconds = _predict(client)
        assert (body["served_by"], body["version"], body["predictions"]) == ("fallback", 2, [0])
        assert seconds < 0.4, f"fallback answered after {seconds * 1000:.0f} ms"
    assert model.calls() == 3
    for _ in range(5):  # the breaker is open: the champion is not called at all
        body, seconds = _predict(client)
        assert body["served_by"] == "fallback" and seconds < 0.2
    assert model.calls() == 3
    metrics = live.app.state.metrics
    assert metrics.fallbacks.labels(model="credit", reason="timeout")._value.get() == 3
    assert metrics.fallbacks.labels(model="credit", reason="circuit_open")._value.get() == 5
    assert metrics.errors.labels(model="credit", kind="timeout")._value.get() == 3
    time.sleep(2.1)  # reset time: the next call is the half-open probe
    flag.unlink()
    body, _ = _predict(client)
    assert body["served_by"] == "champion" and model.calls() == 4
    body, _ = _predict(client)
    assert body["served_by"] == "champion" and model.calls() == 5  # closed again


def test_failed_probe_reopens_the_breaker(serve: Any, sqlite_store: Any, tmp_path: Path) -> None:
    flag = tmp_path / "fail"
    flag.touch()
    model = sm.FlagModel(str(flag), mode="raise")
    _setup(sqlite_store, tmp_path / "models", model)
    live = serve(sqlite_store)
    client = live.client(live.token("predict"))
    for _ in range(4):
        assert _predict(client)[0]["served_by"] == "fallback"
    assert model.calls() == 3
    time.sleep(2.1)
    assert _predict(client)[0]["served_by"] == "fallback"  # the probe failed
    assert model.calls() == 4
    assert _predict(client)[0]["served_by"] == "fallback"
    assert model.calls() == 4  # open again for another reset period


def test_champion_errors_are_logged_next_to_the_fallback_answer(
    serve: Any, sqlite_store: Any, tmp_path: Path
) -> None:
    _setup(sqlite_store, tmp_path / "models", sm.FailingModel())
    live = serve(sqlite_store)
    client = live.client(live.token("predict"))
    body, _ = _predict(client)
    assert body["served_by"] == "fallback"
    with sqlite_store.session() as session:
        rows = session.scalars(
            select(PredictionRow).where(PredictionRow.request_id == body["request_id"])
        ).all()
    by_role = {row.role: row for row in rows}
    assert set(by_role) == {"champion", "fallback"}
    assert by_role["fallback"].output == 0 and by_role["fallback"].error is None
    assert by_role["champion"].output is None
    assert "this model always fails" in by_role["champion"].error
    assert live.app.state.metrics.fallbacks.labels(model="credit", reason="error")._value.get() == 1


@pytest.mark.parametrize("fallback", [False, True])
def test_no_healthy_model_is_a_clear_503(
    serve: Any, sqlite_store: Any, tmp_path: Path, fallback: bool
) -> None:
    registry = _setup(sqlite_store, tmp_path / "models", sm.FailingModel(), fallback=False)
    if fallback:
        bad = sm.dump_pickle(sm.FailingModel(), tmp_path / "models", "badfallback")
        sm.register(registry, "credit", bad, alias="fallback")
    live = serve(sqlite_store)
    client = live.client(live.token("predict"))
    response = client.post("/v1/models/credit/predict", json=ROW)
    assert response.status_code == 503
    error = response.json()["error"]
    assert error["type"] == "Unavailable"
    assert "credit v1 is failing (RuntimeError: this model always fails)" in error["message"]
    if fallback:
        assert "the fallback credit v2 failed too" in error["message"]
    else:
        assert "has no fallback version" in error["message"]


@pytest.mark.parametrize("fallback", [True, False])
def test_a_champion_that_cannot_load_falls_back(
    serve: Any, sqlite_store: Any, tmp_path: Path, fallback: bool
) -> None:
    folder = tmp_path / "models"
    folder.mkdir()
    registry = ModelRegistry(sqlite_store)
    untrusted = sm.dump_pickle(sm.GoodModel(), folder, "untrusted")  # never trusted
    registry.register("credit", untrusted, reference=sm.reference_frame(), target="y", actor="t")
    registry.promote("credit", 1, actor="t")
    if fallback:
        sm.register(registry, "credit", sm.dump_logistic(folder), alias="fallback")
    live = serve(sqlite_store)
    client = live.client(live.token("predict"))
    response = client.post("/v1/models/credit/predict", json=ROW)
    if fallback:
        assert response.status_code == 200
        assert (response.json()["served_by"], response.json()["version"]) == ("fallback", 2)
    else:
        assert response.status_code == 503
        message = response.json()["error"]["message"]
        assert "cannot load" in message and "trusted" in message and "no fallback" in message
