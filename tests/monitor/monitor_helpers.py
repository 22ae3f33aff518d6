"""A registered sklearn model with logged traffic, written straight into the store.

Eight daily windows of served predictions (the service is not needed): each window's rows
go into ``predictions`` and its profile (built by ``profile_rows``, as the service builds
it) into ``windows``; labels are written by row id with a chosen ``received_at``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import skops.io as sio
from sklearn.linear_model import LogisticRegression

from steward.monitor.window_profiles import profile_rows
from steward.plan.versions import apply_plan
from steward.registry import ModelRegistry
from steward.store import Store
from steward.store.tables import LabelRow, ModelRow, PredictionRow, WindowRow

DAY0 = datetime(2024, 3, 4, tzinfo=timezone.utc)  # a Monday: window i is day DAY0 + i
FEATURES = ["x1", "x2"]
PLAN = """\
model: credit
checks:
  windows: {k: 2, n: 3}
monitor:
  window: 1D
  min_rows: 100
  lateness: 1h
  label_horizon: 30D
alerts:
  rules:
    - name: sustained-drift
      when: {check: "drift.*", sustained: true}
"""


def data(seed: int, n: int, shift: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"x1": rng.normal(shift, 1.0, n), "x2": rng.normal(size=n)})
    noise = rng.normal(0, 0.7, n)
    frame["y"] = (frame.x1 - shift + 0.5 * frame.x2 + noise > 0).astype(int)
    return frame


def day(i: float) -> datetime:
    return DAY0 + timedelta(days=i)


@dataclass
class World:
    """The store, the model and what was logged, for assertions."""

    store: Store
    registry: ModelRegistry
    model: Any
    model_id: int
    version_id: int
    frames: dict[int, pd.DataFrame] = field(default_factory=dict)
    window_ids: dict[int, int] = field(default_factory=dict)

    def predictions(self, i: int) -> np.ndarray:
        return self.model.predict(self.frames[i][FEATURES])

    def row_ids(self, i: int) -> list[str]:
        return [f"w{i}-r{j}" for j in range(len(self.frames[i]))]


def build(store: Store, tmp_path: Path, plan: str = PLAN) -> World:
    """Register the model (reference: 1,000 rows), promote it, apply ``plan``."""
    reference = data(0, 1000)
    model = LogisticRegression().fit(reference[FEATURES], reference.y)
    path = tmp_path / "model.skops"
    sio.dump(model, path)
    registry = ModelRegistry(store)
    version = registry.register("credit", path, reference=reference, target="y", actor="t")
    registry.promote("credit", version.version, actor="t")
    apply_plan(store, plan, actor="t")
    with store.session() as session:
        model_id = session.query(ModelRow.id).filter(ModelRow.name == "credit").scalar()
    return World(store, registry, model, model_id, version.id)


def log_window(world: World, i: int, frame: pd.DataFrame, state: str = "open") -> int:
    """Log ``frame`` as day ``i``'s served traffic: rows plus the window's profile."""
    world.frames[i] = frame
    version = world.registry.get("credit", 1)
    reference = world.registry.reference_profile("credit", 1)
    outputs = world.model.predict(frame[FEATURES]).tolist()
    scores = world.model.predict_proba(frame[FEATURES]).tolist()
    ids = world.row_ids(i)
    step = timedelta(days=1) / (len(frame) + 1)
    rows = [
        PredictionRow(
            request_id=f"req-{i}-{j}",
            row_index=0,
            row_id=ids[j],
            model_id=world.model_id,
            version_id=world.version_id,
            role="champion",
            inputs={name: float(frame[name].iloc[j]) for name in FEATURES},
            output=outputs[j],
            scores=scores[j],
            latency_ms=1.0,
            created_at=day(i) + step * (j + 1),
        )
        for j in range(len(frame))
    ]
    window_profile = profile_rows(rows, version.schema, reference, version.classes)
    with world.store.session() as session:
        session.add_all(rows)
        window = WindowRow(
            model_id=world.model_id,
            version_id=world.version_id,
            role="served",
            start=day(i),
            end=day(i + 1),
            rows=len(frame),
            profile=window_profile.to_bytes(),
            state=state,
            updated_at=day(i + 1),
        )
        session.add(window)
        session.flush()
        world.window_ids[i] = window.id
        return window.id


def add_labels(world: World, i: int, rows: slice, received_at: datetime) -> None:
    """Labels (the true ``y``) for ``rows`` of window ``i``."""
    frame = world.frames[i]
    ids = world.row_ids(i)[rows]
    labels = frame.y.tolist()[rows]
    with world.store.session() as session:
        session.add_all(
            LabelRow(model_id=world.model_id, row_id=r, label=int(y), received_at=received_at)
            for r, y in zip(ids, labels, strict=True)
        )


def eight_days(world: World, n: int = 300, drift_from: int = 4) -> None:
    """Eight daily windows; ``x1`` shifted by one standard deviation from ``drift_from``."""
    for i in range(8):
        log_window(world, i, data(100 + i, n, shift=1.0 if i >= drift_from else 0.0))


def dump(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the tables a pass may write, for before/after comparisons."""
    from sqlalchemy import text

    tables = ["windows", "findings", "alerts", "outbox", "audit", "jobs", "model_versions"]
    tables += ["aliases", "alias_events"]
    result = {}
    with store.engine.connect() as connection:
        for table in tables:
            rows = connection.execute(text(f"SELECT * FROM {table} ORDER BY id")).all()
            result[table] = [tuple(row) for row in rows]
    return result
