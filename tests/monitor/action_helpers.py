"""Shared pieces of the action tests: a registered model, logged traffic, plans, trainers."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import skops.io as sio
from sklearn.linear_model import LogisticRegression
from sqlalchemy import func, insert, select

from steward.monitor.trainers import TrainedModel, TrainingContext
from steward.plan.schema import MaintenancePlan
from steward.registry import ModelRegistry
from steward.store import Store
from steward.store.tables import AuditRow, LabelRow, ModelRow, PredictionRow

NAME = "credit"


def frame(seed: int = 0, n: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    data = pd.DataFrame({"x1": rng.normal(size=n), "x2": rng.normal(size=n)})
    data["y"] = (data.x1 + 0.5 * data.x2 + rng.normal(0, 0.5, n) > 0).astype(int)
    return data


def artifact(directory: Path, seed: int = 0) -> Path:
    data = frame(seed)
    model = LogisticRegression().fit(data[["x1", "x2"]], data.y)
    path = directory / f"model-{seed}-{secrets.token_hex(3)}.skops"
    sio.dump(model, path)
    return path


@dataclass
class Setup:
    store: Store
    registry: ModelRegistry
    model_id: int
    directory: Path

    def register(self, seed: int = 0, lineage: dict[str, Any] | None = None) -> Any:
        path = artifact(self.directory, seed)
        return self.registry.register(
            NAME, path, reference=frame(seed), target="y", actor="ann", lineage=lineage
        )

    def version_id(self, version: int) -> int:
        return self.registry.get(NAME, version).id


def setup(store: Store, directory: Path, challengers: int = 0) -> Setup:
    """v1 registered and champion; ``challengers`` more versions as challengers."""
    registry = ModelRegistry(store)
    made = Setup(store, registry, 0, directory)
    made.register()
    registry.promote(NAME, 1, "champion", actor="ann")
    for i in range(challengers):
        version = made.register(seed=i + 1)
        registry.promote(NAME, version.version, "challenger", actor="ann")
    with store.session() as session:
        made.model_id = session.scalar(select(ModelRow.id).where(ModelRow.name == NAME))
    return made


def plan(**sections: Any) -> MaintenancePlan:
    return MaintenancePlan.model_validate({"model": NAME, **sections})


def log_rows(
    store: Store,
    model_id: int,
    version_id: int,
    outputs: list[Any],
    *,
    at: datetime,
    role: str = "champion",
    labels: list[Any] | None = None,
    inputs: list[dict[str, Any]] | None = None,
    errors: list[str | None] | None = None,
    request: str | None = None,
    row_ids: list[str] | None = None,
    spread: timedelta = timedelta(minutes=30),
) -> list[str]:
    """Write predictions (and labels) as the service would; returns the row ids."""
    n = len(outputs)
    request = request or secrets.token_hex(8)
    row_ids = row_ids or [f"{request}-{i}" for i in range(n)]
    step = spread / max(n, 1)
    predictions = [
        {
            "request_id": request,
            "row_index": i,
            "row_id": row_ids[i],
            "model_id": model_id,
            "version_id": version_id,
            "role": role,
            "inputs": inputs[i] if inputs else {"x1": 0.0, "x2": 0.0},
            "output": None if errors and errors[i] else output,
            "scores": None,
            "error": errors[i] if errors else None,
            "latency_ms": 1.0,
            "created_at": at + step * i,
        }
        for i, output in enumerate(outputs)
    ]
    with store.session() as session:
        session.execute(insert(PredictionRow), predictions)
        if labels is not None:
            session.execute(
                insert(LabelRow),
                [
                    {"model_id": model_id, "row_id": row_ids[i], "label": label, "received_at": at}
                    for i, label in enumerate(labels)
                ],
            )
    return row_ids


def shadow_traffic(
    made: Setup,
    champion: int,
    challenger: int,
    n: int,
    p_champion: float,
    p_challenger: float,
    at: datetime,
    seed: int = 0,
) -> None:
    """``n`` labelled requests served by ``champion`` and answered in shadow by ``challenger``."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    a = np.where(rng.random(n) < p_champion, y, 1 - y)
    b = np.where(rng.random(n) < p_challenger, y, 1 - y)
    request = secrets.token_hex(8)
    ids = log_rows(
        made.store,
        made.model_id,
        made.version_id(champion),
        a.tolist(),
        at=at,
        labels=y.tolist(),
        request=request,
    )
    log_rows(
        made.store,
        made.model_id,
        made.version_id(challenger),
        b.tolist(),
        at=at,
        role="shadow",
        request=request,
        row_ids=ids,
    )


def labelled_traffic(made: Setup, n: int, at: datetime, seed: int = 0) -> None:
    """``n`` labelled rows served by the champion with real features."""
    data = frame(seed, n)
    inputs = data[["x1", "x2"]].to_dict("records")
    log_rows(
        made.store,
        made.model_id,
        made.version_id(1),
        data.y.tolist(),
        at=at,
        labels=data.y.tolist(),
        inputs=inputs,
    )


def audits(store: Store, action: str | None = None) -> list[AuditRow]:
    query = select(AuditRow).order_by(AuditRow.id)
    if action is not None:
        query = query.where(AuditRow.action == action)
    with store.session() as session:
        return list(session.scalars(query))


def count(store: Store, table: Any) -> int:
    with store.session() as session:
        return session.scalar(select(func.count()).select_from(table)) or 0


def fit_trainer(data: Any, context: TrainingContext) -> TrainedModel:
    """A real trainer: logistic regression on the features, saved with skops."""
    table = data.to_pandas()
    model = LogisticRegression().fit(table[context.features], table[context.target])
    path = context.workdir / "model.skops"
    sio.dump(model, path)
    accuracy = float(np.mean(model.predict(table[context.features]) == table[context.target]))
    return TrainedModel(path=path, format="skops", metrics={"train_accuracy": accuracy})
