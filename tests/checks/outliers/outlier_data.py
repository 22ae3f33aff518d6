"""Synthetic reference and current tables with planted off-distribution rows."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

NUMERIC = ("normal", "lognormal", "exponential", "student_t", "uniform", "poisson")
CATEGORIES = ("a", "b", "c", "d", "e")
WEIGHTS = (0.4, 0.25, 0.2, 0.1, 0.05)


def clean(rows: int, seed: int) -> pa.Table:
    """Six numeric features of varied shapes, one categorical, one boolean."""
    rng = np.random.default_rng(seed)
    return pa.table(
        {
            "normal": rng.normal(0.0, 1.0, rows),
            "lognormal": rng.lognormal(3.0, 0.5, rows),
            "exponential": rng.exponential(2.0, rows),
            "student_t": rng.standard_t(4, rows),
            "uniform": rng.uniform(-5.0, 5.0, rows),
            "poisson": rng.poisson(3.0, rows).astype(float),
            "plan": rng.choice(CATEGORIES, rows, p=WEIGHTS),
            "active": rng.random(rows) < 0.7,
        }
    )


def robust_sd(reference: pa.Table, name: str) -> float:
    q1, q3 = np.quantile(reference.column(name).to_numpy(), [0.25, 0.75])
    return float((q3 - q1) / 1.349)


def plant(
    reference: pa.Table, table: pa.Table, kind: str, share: float, seed: int
) -> tuple[pa.Table, np.ndarray]:
    """Plant ``share`` of rows of one kind; returns the table and the planted mask.

    ``shift``: two numeric features moved by 6 robust SDs; ``unseen``: a category the
    reference never had; ``joint``: four numeric features at their 0.5 % / 99.5 % quantiles.
    """
    rng = np.random.default_rng(seed)
    rows = rng.choice(table.num_rows, round(share * table.num_rows), replace=False)
    mask = np.zeros(table.num_rows, dtype=bool)
    mask[rows] = True
    columns = {n: table.column(n).to_numpy(zero_copy_only=False).copy() for n in table.column_names}
    for row in rows:
        _plant_row(reference, columns, kind, row, rng)
    return pa.table({n: pa.array(v) for n, v in columns.items()}), mask


def _plant_row(reference, columns, kind, row, rng) -> None:
    if kind == "unseen":
        columns["plan"][row] = "never-seen"
        return
    count = 2 if kind == "shift" else 4
    for name in rng.choice([n for n in NUMERIC if n != "poisson"], count, replace=False):
        ref = reference.column(name).to_numpy()
        if kind == "shift":
            columns[name][row] += 6.0 * robust_sd(reference, name) * rng.choice([-1.0, 1.0])
        else:
            columns[name][row] = np.quantile(ref, [0.005, 0.995])[rng.integers(0, 2)]
