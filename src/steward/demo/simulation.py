"""The demo's world: credit applicants day by day, a concept change, labels that arrive late.

Until ``change_day`` defaults follow :func:`steward.datasets.default_probability`. From then
on the population drifts (lower incomes, a new ``coast`` region, more contract work) and
the relation changes too: applicants from the coast and contract workers default more
often. The first model never saw the coast, so its error grows; a model retrained on
recent labelled days learns the new relation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import numpy as np
import pyarrow as pa

from steward.datasets import applicants, default_probability

START = datetime(2026, 1, 5, tzinfo=timezone.utc)


@dataclass(frozen=True)
class Day:
    index: int
    start: datetime
    rows: list[dict[str, object]]  # the model's inputs, as a client would send them
    ids: list[str]
    labels: np.ndarray  # 0/1 defaults, known only later
    label_at: list[datetime]  # when each label reaches Steward


def probability(x: dict[str, np.ndarray], change: float) -> np.ndarray:
    """Default probability; ``change`` in [0, 1] blends in the new relation."""
    base = default_probability(x)
    logit = np.log(base / (1 - base))
    shifted = logit + 2.2 * (x["region"] == "coast") + 1.4 * (x["employment"] == "contract")
    return 1 / (1 + np.exp(-((1 - change) * logit + change * shifted)))


def reference(rows: int, seed: int) -> pa.Table:
    """Labelled training data from before the change."""
    rng = np.random.default_rng(seed)
    x = applicants(rows, rng)
    y = rng.random(rows) < probability(x, 0.0)
    return pa.table({**x, "defaulted": y.astype(np.int64)})


def days(count: int, rows_per_day: int, change_day: int, seed: int) -> list[Day]:
    """``count`` days of traffic; the change ramps up over three days from ``change_day``."""
    rng = np.random.default_rng(seed + 1)
    result = []
    for index in range(count):
        change = float(np.clip((index - change_day + 1) / 3, 0, 1)) if index >= change_day else 0.0
        x = applicants(rows_per_day, rng, drift=change)
        y = (rng.random(rows_per_day) < probability(x, change)).astype(np.int64)
        start = START + timedelta(days=index)
        offsets = np.sort(rng.uniform(0, 86_400, rows_per_day))
        delays = rng.uniform(1, 3, rows_per_day) * 86_400
        result.append(
            Day(
                index=index,
                start=start,
                rows=_rows(x),
                ids=[f"D{index:03d}-{i:05d}" for i in range(rows_per_day)],
                labels=y,
                label_at=[
                    start + timedelta(seconds=float(o + d))
                    for o, d in zip(offsets, delays, strict=True)
                ],
            )
        )
    return result


def _rows(x: dict[str, np.ndarray]) -> list[dict[str, object]]:
    names = list(x)
    columns = [x[name].tolist() for name in names]
    return [dict(zip(names, values, strict=True)) for values in zip(*columns, strict=True)]


def scored(table: pa.Table, model: Any) -> pa.Table:
    """``table`` with the model's ``prediction`` and ``score`` (probability of default)."""
    frame = table.drop_columns(["defaulted"]).to_pandas()
    rows = table.num_rows
    step = timedelta(days=28) / rows
    ids = pa.array([f"R{i:06d}" for i in range(rows)])
    stamps = pa.array([START - timedelta(days=28) + i * step for i in range(rows)])
    table = table.add_column(0, "timestamp", stamps).add_column(0, "application_id", ids)
    table = table.append_column("prediction", pa.array(model.predict(frame)))
    return table.append_column("score", pa.array(model.predict_proba(frame)[:, 1]))


def served_table(day: Day, answers: list[dict[str, Any]]) -> pa.Table:
    """One day's traffic as it was served: inputs, answers, the version, labels, times."""
    rows = {name: [row[name] for row in day.rows] for name in day.rows[0]}
    predictions = [p for answer in answers for p in answer["predictions"]]
    scores = [s[-1] for answer in answers for s in answer["scores"]]
    versions = [answer["version"] for answer in answers for _ in answer["predictions"]]
    step = timedelta(days=1) / len(day.ids)
    return pa.table(
        {
            "application_id": day.ids,
            "timestamp": [day.start + i * step for i in range(len(day.ids))],
            **rows,
            "prediction": predictions,
            "score": scores,
            "version": versions,
            "defaulted": day.labels,
        }
    )
