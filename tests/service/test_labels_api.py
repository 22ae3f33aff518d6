"""Labels over HTTP: stored once, conflicts refused whole, kept before predictions, coverage.

Runs on SQLite and PostgreSQL: insert-or-ignore and window bucketing are dialect SQL.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select

from conftest import Live, served_model
from steward.service.label_store import coverage
from steward.store import Store
from steward.store.tables import LabelRow, ModelRow, PredictionRow, VersionRow

URL = "/v1/models/credit/labels"


@pytest.fixture
def live(store: Store, serve: Callable[..., Live], tmp_path: Path) -> Live:
    served_model(store, tmp_path / "m")
    return serve(store, max_rows_per_request=50)


def _stored(store: Store) -> dict[str, object]:
    with store.session() as session:
        rows = session.execute(select(LabelRow.row_id, LabelRow.label)).all()
    return dict((row_id, label) for row_id, label in rows)


def test_labels_are_stored_once(live: Live) -> None:
    client = live.client(live.token("label"))
    body = {"ids": ["a", "b", 7], "labels": [1, 0, 1]}
    assert client.post(URL, json=body).json() == {"received": 3, "stored": 3, "duplicates": 0}
    assert client.post(URL, json=body).json() == {"received": 3, "stored": 0, "duplicates": 3}
    again = {"ids": ["a", "c", "c"], "labels": [1, "yes", "yes"]}
    assert client.post(URL, json=again).json() == {"received": 3, "stored": 1, "duplicates": 2}
    assert _stored(live.store) == {"a": 1, "b": 0, "7": 1, "c": "yes"}


def test_a_different_label_is_a_conflict_naming_the_id(live: Live) -> None:
    client = live.client(live.token("label"))
    assert client.post(URL, json={"ids": ["a", "b"], "labels": [1, 0]}).status_code == 200
    response = client.post(URL, json={"ids": ["new", "b"], "labels": [1, 1]})
    assert response.status_code == 409
    assert "'b'" in response.json()["error"]["message"]
    assert "new" not in _stored(live.store)  # nothing of a refused request is kept
    inside = client.post(URL, json={"ids": ["z", "z"], "labels": [1, 0]})
    assert inside.status_code == 409 and "'z'" in inside.json()["error"]["message"]
    flipped = client.post(URL, json={"ids": ["a"], "labels": [True]})  # true is not 1
    assert flipped.status_code == 409


@pytest.mark.parametrize(
    "body, field",
    [
        ({"ids": ["a", "b"], "labels": [1]}, "labels"),
        ({"labels": [1]}, "body.ids"),
        ({"ids": ["a"], "labels": [{"nested": 1}]}, "body.labels.0"),
        ({"ids": [""], "labels": [1]}, "body.ids.0"),
        ({"ids": [f"r{i}" for i in range(51)], "labels": [1] * 51}, "ids"),
    ],
    ids=["lengths", "missing", "nested", "empty-id", "too-many"],
)
def test_bad_bodies_are_422_naming_the_field(live: Live, body: dict, field: str) -> None:
    response = live.client(live.admin).post(URL, json=body)
    assert response.status_code == 422
    assert response.json()["error"]["message"].startswith(field)


def test_unknown_model_is_404(live: Live) -> None:
    response = live.client(live.admin).post(
        "/v1/models/nope/labels", json={"ids": ["a"], "labels": [1]}
    )
    assert response.status_code == 404
    assert "nope" in response.json()["error"]["message"]


def test_labels_before_predictions_are_kept_and_joined(live: Live) -> None:
    client = live.client(live.admin)
    assert client.post(URL, json={"ids": ["early", "x"], "labels": [1, 0]}).status_code == 200
    rows = [{"x1": 0.2, "x2": 0.1}, {"x1": -1.0, "x2": 0.5}, {"x1": 0.0, "x2": 0.0}]
    predicted = client.post(
        "/v1/models/credit/predict", json={"rows": rows, "ids": ["early", "late", "nolabel"]}
    )
    assert predicted.status_code == 200, predicted.text
    assert client.post(URL, json={"ids": ["late"], "labels": [1]}).status_code == 200
    report = client.get(f"{URL}/coverage", params={"window": "9999W"}).json()
    assert report["window"] == "9999W"
    [window] = report["items"]
    assert (window["predictions"], window["labelled"]) == (3, 2)
    assert window["coverage"] == pytest.approx(2 / 3)
    assert _stored(live.store)["x"] == 0  # a label whose prediction never came is kept


def _log(store: Store, at: datetime, row_id: str, role: str = "champion") -> None:
    with store.session() as session:
        model = session.scalar(select(ModelRow.id))
        version = session.scalar(select(VersionRow.id))
        index = session.scalar(select(func.count()).select_from(PredictionRow))
        session.add(
            PredictionRow(
                request_id=f"req-{index}",
                row_index=0,
                row_id=row_id,
                model_id=model,
                version_id=version,
                role=role,
                inputs={},
                output=1,
                latency_ms=1.0,
                created_at=at,
            )
        )


def test_coverage_per_window(live: Live) -> None:
    base = datetime(2026, 3, 4, 10, 0, tzinfo=timezone.utc)
    for minute, row_id in [(0, "a"), (59, "b"), (60, "c"), (125, "d"), (126, "e")]:
        _log(live.store, base + timedelta(minutes=minute, seconds=59.9), row_id)
    _log(live.store, base, "a", role="shadow")  # shadow rows are not traffic
    live.client(live.admin).post(URL, json={"ids": ["a", "c", "d", "e"], "labels": [1, 1, 0, 0]})
    items = coverage(live.store, "credit", "1h", 5, now=base + timedelta(hours=2, minutes=30))
    got = [(i["start"].hour, i["predictions"], i["labelled"], i["coverage"]) for i in items]
    assert got == [(12, 2, 2, 1.0), (11, 1, 1, 1.0), (10, 2, 1, 0.5)]
    assert items[0]["end"] - items[0]["start"] == timedelta(hours=1)
    recent = coverage(live.store, "credit", "1h", 1, now=base + timedelta(hours=2, minutes=30))
    assert [i["start"].hour for i in recent] == [12]


def test_coverage_rejects_a_bad_window(live: Live) -> None:
    response = live.client(live.admin).get(f"{URL}/coverage", params={"window": "1 day"})
    assert response.status_code == 422
    assert "window" in response.json()["error"]["message"]
