"""steward.monitor.shadow.shadow_comparison over real prediction and label rows."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import slow_models as sm
from sqlalchemy import select

from steward.monitor.shadow import shadow_comparison
from steward.registry import ModelRegistry
from steward.store.tables import LabelRow, ModelRow, PredictionRow, utcnow


def _log(store: Any, name: str, rows: list[tuple[str, int, int, str, Any, str | None]]) -> None:
    """rows: (request_id, row_index, version number, role, output, error)."""
    registry = ModelRegistry(store)
    ids = {v.version: v.id for v in registry.versions(name)}
    with store.session() as session:
        model_id = session.scalar(select(ModelRow.id).where(ModelRow.name == name))
        for request_id, index, version, role, output, error in rows:
            session.add(
                PredictionRow(
                    request_id=request_id,
                    row_index=index,
                    row_id=f"{request_id}:{index}",
                    model_id=model_id,
                    version_id=ids[version],
                    role=role,
                    inputs={},
                    output=output,
                    error=error,
                    latency_ms=1.0,
                )
            )


def _label(store: Any, name: str, labels: dict[str, Any]) -> None:
    with store.session() as session:
        model_id = session.scalar(select(ModelRow.id).where(ModelRow.name == name))
        for row_id, label in labels.items():
            session.add(LabelRow(model_id=model_id, row_id=row_id, label=label))


def test_classifier_agreement_and_labelled_accuracy(store: Any, tmp_path: Path) -> None:
    registry = ModelRegistry(store)
    artifact = sm.dump_logistic(tmp_path)
    sm.register(registry, "credit", artifact, alias="champion")
    sm.register(registry, "credit", artifact, alias="challenger")
    champion = [1, 0, 1, 1, 0, 1]
    shadow = [1, 0, 0, 1, 1, 1]
    rows = [(f"r{i // 2}", i % 2, 1, "champion", c, None) for i, c in enumerate(champion)]
    rows += [(f"r{i // 2}", i % 2, 2, "shadow", s, None) for i, s in enumerate(shadow)]
    rows += [("r9", 0, 2, "shadow", None, "RuntimeError: boom")]  # error: not paired
    rows += [("r8", 0, 2, "shadow", 1, None)]  # the champion never served it: not paired
    rows += [("r3", 0, 1, "champion", None, "timeout"), ("r3", 0, 2, "shadow", 1, None)]
    _log(store, "credit", rows)
    _label(store, "credit", {"r0:0": 1, "r0:1": "0", "r1:0": 1, "r1:1": 0, "nope": 1})
    result = shadow_comparison(store, registry, "credit")
    assert result["model"] == "credit" and result["since"] is None
    (entry,) = result["challengers"]
    assert entry == {
        "version": 2,
        "current": True,
        "task": "classification",
        "shadow_rows": 9,
        "shadow_errors": 1,
        "paired": 6,
        "agreement": pytest.approx(4 / 6),
        "metric": "accuracy",
        "labelled": 4,
        "champion_metric": pytest.approx(3 / 4),  # 1,0,1,1 against labels 1,"0",1,0
        "challenger_metric": pytest.approx(2 / 4),  # 1,0,0,1 against the same labels
        "delta": pytest.approx(-0.25),
        "champion_correct": 3,
        "challenger_correct": 2,
    }


def test_regressor_differences_and_mae(store: Any, tmp_path: Path) -> None:
    registry = ModelRegistry(store)
    frame = sm.reference_frame()
    frame["y"] = frame.x1 * 2.5 + 0.1
    path = sm.dump_pickle(sm.GoodModel(), tmp_path, "reg")
    for alias in ("champion", "challenger"):
        version = registry.register("price", path, reference=frame, target="y", actor="t")
        registry.promote("price", version.version, alias, actor="t")
    assert registry.get("price", 1).task == "regression"
    champion = [1.0, 2.0, 3.0, 4.0]
    shadow = [1.5, 2.5, 2.0, 4.0]
    rows = [(f"q{i}", 0, 1, "champion", c, None) for i, c in enumerate(champion)]
    rows += [(f"q{i}", 0, 2, "shadow", s, None) for i, s in enumerate(shadow)]
    _log(store, "price", rows)
    _label(store, "price", {"q0:0": 1.0, "q1:0": 2.0, "q2:0": 2.0})
    (entry,) = shadow_comparison(store, registry, "price")["challengers"]
    assert entry["task"] == "regression" and entry["paired"] == 4
    assert entry["mean_abs_difference"] == pytest.approx(0.5)
    assert entry["correlation"] == pytest.approx(np.corrcoef(champion, shadow)[0, 1])
    assert entry["labelled"] == 3
    assert entry["champion_metric"] == pytest.approx(1 / 3)
    assert entry["challenger_metric"] == pytest.approx(1 / 3)
    assert entry["delta"] == pytest.approx(0.0)


def test_since_and_no_shadow(store: Any, tmp_path: Path) -> None:
    registry = ModelRegistry(store)
    sm.register(registry, "credit", sm.dump_logistic(tmp_path), alias="champion")
    assert shadow_comparison(store, registry, "credit")["challengers"] == []
    sm.register(registry, "credit", sm.dump_logistic(tmp_path), alias="challenger")
    _log(store, "credit", [("r", 0, 1, "champion", 1, None), ("r", 0, 2, "shadow", 1, None)])
    later = shadow_comparison(store, registry, "credit", since=utcnow() + timedelta(hours=1))
    assert later["challengers"] == []
    (entry,) = shadow_comparison(store, registry, "credit", since=utcnow() - timedelta(hours=1))[
        "challengers"
    ]
    assert (entry["paired"], entry["agreement"], entry["labelled"]) == (1, 1.0, 0)
    assert entry["champion_metric"] is None
