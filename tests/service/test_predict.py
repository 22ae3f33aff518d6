"""POST /v1/models/{name}/predict on a live server: answers, durable log, 422s and 503s."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from conftest import served_model
from steward.registry import ModelRegistry
from steward.store.tables import PredictionRow, WindowRow


def _rows(store: Any, request_id: str) -> list[PredictionRow]:
    with store.session() as session:
        query = select(PredictionRow).where(PredictionRow.request_id == request_id)
        return list(session.scalars(query.order_by(PredictionRow.row_index)))


@pytest.fixture
def live(serve: Any, store: Any, tmp_path: Path) -> Any:
    served_model(store, tmp_path / "models")
    server = serve(store)
    server.predictor = server.client(server.token("predict"))
    return server


def test_champion_answers_and_the_rows_are_logged_before_the_response(live: Any) -> None:
    rows = [{"x1": 2.0, "x2": 0.1}, {"x1": -2.0, "x2": -0.3}]
    response = live.predictor.post(
        "/v1/models/credit/predict", json={"rows": rows, "ids": ["a", 7]}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["predictions"] == [1, 0]
    assert body["classes"] == [0, 1]
    assert body["version"] == 1 and body["served_by"] == "champion"
    assert [round(sum(s), 6) for s in body["scores"]] == [1.0, 1.0]
    assert body["scores"][0][1] > 0.5 > body["scores"][1][1]
    assert response.headers["x-request-id"] == body["request_id"]
    logged = _rows(live.store, body["request_id"])  # no waiting: committed before the answer
    assert [(r.row_index, r.row_id, r.role, r.output) for r in logged] == [
        (0, "a", "champion", 1),
        (1, "7", "champion", 0),
    ]
    assert logged[0].inputs == rows[0]
    assert logged[0].scores == pytest.approx(body["scores"][0])
    assert logged[0].error is None and logged[0].latency_ms > 0


def test_default_row_ids_and_window_profiles(live: Any) -> None:
    body = live.predictor.post(
        "/v1/models/credit/predict", json={"rows": [{"x1": 1, "x2": None}] * 3}
    )
    assert body.status_code == 422  # LogisticRegression cannot take a missing value
    assert "NaN" in body.json()["error"]["message"] or "missing" in body.json()["error"]["message"]
    answer = live.predictor.post(
        "/v1/models/credit/predict", json={"rows": [{"x1": 1, "x2": 0.5}] * 3}
    ).json()
    rid = answer["request_id"]
    assert [r.row_id for r in _rows(live.store, rid)] == [f"{rid}:0", f"{rid}:1", f"{rid}:2"]
    live.app.state.gateway.writer.profiler.flush()
    from steward.profile import Profile

    with live.store.session() as session:
        window = session.scalars(select(WindowRow)).one()
    assert (window.role, window.rows, window.state) == ("served", 3, "open")
    profile = Profile.from_bytes(window.profile)
    assert profile.rows == 3
    assert (profile["x1"].rows, profile["x1"].minimum, profile["x2"].maximum) == (3, 1.0, 0.5)
    assert profile["y"].nulls == 3  # labels arrive later


@pytest.mark.parametrize(
    ("rows", "named"),
    [
        ([{"x1": 1.0, "x2": 2.0, "colour": "red"}], "colour"),
        ([{"x1": 1.0}], "x2"),
        ([{"x1": 1.0, "x2": 2.0}, {"x1": "abc", "x2": 2.0}], "x1"),
        ([{"x1": {"a": 1}, "x2": [1]}], "x2"),
    ],
)
def test_bad_rows_are_422_naming_the_columns(
    live: Any, rows: list[dict[str, Any]], named: str
) -> None:
    response = live.predictor.post("/v1/models/credit/predict", json={"rows": rows})
    assert response.status_code == 422
    error = response.json()["error"]
    assert f"'{named}'" in error["message"]


def test_empty_rows_and_bad_ids_are_422(live: Any) -> None:
    response = live.predictor.post("/v1/models/credit/predict", json={"rows": []})
    assert response.status_code == 422
    assert "rows" in response.json()["error"]["message"]
    response = live.predictor.post(
        "/v1/models/credit/predict", json={"rows": [{"x1": 1, "x2": 1}], "ids": ["a", "b"]}
    )
    assert response.status_code == 422
    assert "ids has 2 values" in response.json()["error"]["message"]


def test_unknown_model_is_404_and_no_champion_is_503(live: Any, tmp_path: Path) -> None:
    assert live.predictor.post("/v1/models/nope/predict", json={"rows": [{}]}).status_code == 404
    served_model(live.store, tmp_path / "m2", name="bare", alias=None)
    response = live.predictor.post("/v1/models/bare/predict", json={"rows": [{"x1": 1, "x2": 1}]})
    assert response.status_code == 503
    assert response.json()["error"] == {
        "type": "Unavailable",
        "message": "model 'bare' has no champion; promote a version first",
    }


def test_a_promotion_is_served_within_seconds(live: Any, tmp_path: Path) -> None:
    version = served_model(live.store, tmp_path / "m3", seed=1, alias=None)
    row = {"rows": [{"x1": 1, "x2": 1}]}
    assert live.predictor.post("/v1/models/credit/predict", json=row).json()["version"] == 1
    ModelRegistry(live.store).promote("credit", version, actor="test")  # as another process
    deadline = time.monotonic() + 5
    while live.predictor.post("/v1/models/credit/predict", json=row).json()["version"] != 2:
        assert time.monotonic() < deadline, "promotion not served within 5 s"
        time.sleep(0.05)


def test_a_failed_commit_is_503_never_2xx(serve: Any, sqlite_store: Any, tmp_path: Path) -> None:
    served_model(sqlite_store, tmp_path / "models")
    live = serve(sqlite_store)
    client = live.client(live.token("predict"))
    row = {"rows": [{"x1": 1, "x2": 1}]}
    assert client.post("/v1/models/credit/predict", json=row).status_code == 200
    database = sqlite3.connect(sqlite_store.engine.url.database, isolation_level=None)
    database.execute("ALTER TABLE predictions RENAME TO predictions_away")
    try:
        response = client.post("/v1/models/credit/predict", json=row)
        assert response.status_code == 503
        assert response.json()["error"]["type"] == "Unavailable"
        assert "could not be logged" in response.json()["error"]["message"]
    finally:
        database.execute("ALTER TABLE predictions_away RENAME TO predictions")
        database.close()
    assert client.post("/v1/models/credit/predict", json=row).status_code == 200


def test_predict_needs_the_predict_scope(live: Any) -> None:
    reader = live.client(live.token("read"))
    response = reader.post("/v1/models/credit/predict", json={"rows": [{"x1": 1, "x2": 1}]})
    assert response.status_code == 403
    anonymous = live.client()
    response = anonymous.post("/v1/models/credit/predict", json={"rows": [{"x1": 1, "x2": 1}]})
    assert response.status_code == 401
