"""Synthetic scored tables with a known weak slice (or none) for the segment tests."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from steward.schema import Schema, infer_schema

REGIONS = ["north", "south", "east", "west"]
REGION_P = [0.35, 0.25, 0.25, 0.15]


def features(rows: int, rng: np.random.Generator, numeric: int = 6) -> dict[str, np.ndarray]:
    """``numeric`` standard-normal columns ``x0…``, a region and a boolean flag."""
    columns: dict[str, np.ndarray] = {f"x{j}": rng.normal(size=rows) for j in range(numeric)}
    columns["region"] = rng.choice(REGIONS, rows, p=REGION_P)
    columns["flag"] = rng.random(rows) < 0.4
    return columns


def cut(values: np.ndarray, share: float) -> float:
    """The quantile cut-point the slice search uses (a value of the data)."""
    return float(np.quantile(values, share, method="inverted_cdf"))


def planted_weak(columns: dict[str, np.ndarray]) -> tuple[np.ndarray, list[str]]:
    """``region == 'east' and x0 <= q20``: about 5% of rows, and its two conditions."""
    threshold = cut(columns["x0"], 0.2)
    inside = (columns["region"] == "east") & (columns["x0"] <= threshold)
    return inside, sorted([f"x0 <= {threshold:.6g}", "region == 'east'"])


def classified(
    seed: int,
    rows: int = 10_000,
    weak: str | None = "two",
    base: float = 0.1,
    factor: float = 4.0,
) -> tuple[pa.Table, list[str]]:
    """A classifier's target and prediction, wrong ``factor`` times as often in the slice.

    ``weak``: ``"two"`` plants the two-condition slice, ``"one"`` makes ``region ==
    'west'`` weak (one condition), ``None`` plants nothing (errors independent of features).
    """
    rng = np.random.default_rng(seed)
    columns = features(rows, rng)
    inside, conditions = _weak(columns, weak)
    wrong = rng.random(rows) < np.where(inside, base * factor, base)
    target = rng.integers(0, 2, rows)
    table = pa.table(
        {**columns, "target": target, "prediction": np.where(wrong, 1 - target, target)}
    )
    return table, conditions


def _weak(columns: dict[str, np.ndarray], weak: str | None) -> tuple[np.ndarray, list[str]]:
    rows = len(columns["x0"])
    if weak == "two":
        return planted_weak(columns)
    if weak == "one":
        return columns["region"] == "west", ["region == 'west'"]
    return np.zeros(rows, dtype=bool), []


def regressed(seed: int, rows: int = 10_000, weak: bool = True) -> tuple[pa.Table, list[str]]:
    """A regressor whose absolute error is three times larger in the planted slice."""
    rng = np.random.default_rng(seed)
    columns = features(rows, rng)
    inside, conditions = planted_weak(columns) if weak else (np.zeros(rows, bool), [])
    target = rng.normal(100, 20, rows)
    noise = rng.normal(0, 1, rows) * np.where(inside, 3.0, 1.0)
    table = pa.table({**columns, "target": target, "prediction": target + noise})
    return table, conditions


def model_schema(table: pa.Table, **roles) -> Schema:
    return infer_schema(table, target="target", prediction="prediction", **roles)
