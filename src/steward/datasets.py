"""A synthetic but realistic credit-risk stream for the demo, tests and benchmarks.

Applicants arrive with timestamps over several weeks; a scikit-learn model trained on the
first weeks scores them; the true default label arrives some days later. From
``drift_week`` on, the population changes: incomes fall, a new region appears and the
mix of employment types shifts — the model's inputs drift and its error grows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import pyarrow as pa

REGIONS = ["north", "south", "east", "west"]
EMPLOYMENT = ["salaried", "self-employed", "contract", "unemployed"]
FEATURES = [
    "age",
    "income",
    "credit_score",
    "debt_ratio",
    "open_accounts",
    "region",
    "employment",
    "has_mortgage",
]


@dataclass(frozen=True)
class Stream:
    reference: pa.Table
    production: pa.Table
    model: object


def applicants(rows: int, rng: np.random.Generator, drift: float = 0.0) -> dict[str, np.ndarray]:
    """Applicant features; ``drift`` in [0, 1] moves the population away from the reference."""
    region_p = np.array([0.35, 0.25, 0.25, 0.15, 0.0])
    region_p = (1 - drift) * region_p + drift * np.array([0.2, 0.15, 0.15, 0.1, 0.4])
    employment_p = np.array([0.6, 0.2, 0.15, 0.05])
    employment_p = (1 - drift) * employment_p + drift * np.array([0.35, 0.2, 0.25, 0.2])
    age = np.clip(rng.normal(41, 12, rows), 18, 90).round()
    income = rng.lognormal(np.log(52_000) - 0.6 * drift, 0.45, rows).round(-1)
    score = np.clip(rng.normal(680 - 40 * drift, 60, rows), 300, 850).round()
    return {
        "age": age.astype(np.int64),
        "income": income,
        "credit_score": score.astype(np.int64),
        "debt_ratio": np.clip(rng.beta(2, 5, rows) + 0.1 * drift, 0, 1).round(4),
        "open_accounts": rng.poisson(3, rows).astype(np.int64),
        "region": rng.choice([*REGIONS, "coast"], rows, p=region_p / region_p.sum()),
        "employment": rng.choice(EMPLOYMENT, rows, p=employment_p / employment_p.sum()),
        "has_mortgage": rng.random(rows) < 0.4,
    }


def default_probability(x: dict[str, np.ndarray]) -> np.ndarray:
    logit = (
        -1.2
        - 0.9 * (np.log(x["income"]) - np.log(52_000))
        - 0.012 * (x["credit_score"] - 680)
        + 2.2 * (x["debt_ratio"] - 0.3)
        + 0.9 * (x["employment"] == "unemployed")
        + 0.4 * (x["employment"] == "contract")
        - 0.01 * (x["age"] - 41)
    )
    return 1 / (1 + np.exp(-logit))


def _encode(x: dict[str, np.ndarray]) -> np.ndarray:
    columns = [
        np.log(x["income"]),
        x["age"],
        x["credit_score"],
        x["debt_ratio"],
        x["open_accounts"],
        x["has_mortgage"].astype(float),
    ]
    columns += [(x["employment"] == e).astype(float) for e in EMPLOYMENT]
    columns += [(x["region"] == r).astype(float) for r in REGIONS]
    return np.column_stack(columns).astype(float)


def train_model(x: dict[str, np.ndarray], y: np.ndarray) -> object:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)).fit(_encode(x), y)


def credit_stream(
    reference_rows: int = 20_000,
    weekly_rows: int = 5_000,
    weeks: int = 12,
    drift_week: int = 6,
    seed: int = 7,
    start: datetime = datetime(2026, 1, 5),
) -> Stream:
    """Reference data (with labels) and ``weeks`` of scored production traffic."""
    rng = np.random.default_rng(seed)
    ref = applicants(reference_rows, rng)
    ref_y = rng.random(reference_rows) < default_probability(ref)
    model = train_model(ref, ref_y)
    reference = _table(ref, ref_y, model, rng, start - timedelta(weeks=8), 8 * 7, 0)
    parts = []
    for week in range(weeks):
        drift = 0.0 if week < drift_week else min(1.0, 0.5 + 0.15 * (week - drift_week))
        x = applicants(weekly_rows, rng, drift)
        y = rng.random(weekly_rows) < default_probability(x)
        begin = start + timedelta(weeks=week)
        parts.append(_table(x, y, model, rng, begin, 7, reference_rows + week * weekly_rows))
    production = _hide_late_labels(pa.concat_tables(parts))
    return Stream(reference, production, model)


def _hide_late_labels(table: pa.Table) -> pa.Table:
    """Labels not yet arrived by the end of the stream are missing, as in production."""
    import pyarrow.compute as pc

    now = pc.max(table.column("timestamp"))
    arrived = pc.less_equal(table.column("label_time"), now)
    labels = pc.if_else(arrived, table.column("defaulted"), pa.scalar(None, pa.int64()))
    return table.set_column(table.schema.get_field_index("defaulted"), "defaulted", labels)


def _table(x, y, model, rng, begin: datetime, days: int, first_id: int) -> pa.Table:
    rows = len(y)
    score = model.predict_proba(_encode(x))[:, 1]
    offsets = np.sort(rng.uniform(0, days * 86400, rows))
    stamps = np.datetime64(begin, "s") + offsets.astype("timedelta64[s]")
    delays = rng.exponential(5 * 86400, rows).astype("timedelta64[s]")
    columns = {
        "application_id": np.array([f"A{first_id + i:08d}" for i in range(rows)]),
        "timestamp": stamps.astype("datetime64[us]"),
        **x,
        "score": score.round(5),
        "prediction": (score >= 0.5).astype(np.int64),
        "defaulted": y.astype(np.int64),
        "label_time": (stamps + delays).astype("datetime64[us]"),
    }
    return pa.table(columns)
