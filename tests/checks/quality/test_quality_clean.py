"""No crying wolf: a large window drawn like the reference gives only ok verdicts."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from quality_helpers import problems, run

from steward.checks.quality import parse_expectation


def window(rng: np.random.Generator, n: int, first_id: int) -> pa.Table:
    income = rng.lognormal(8, 1, n)
    income[rng.random(n) < 0.05] = np.nan
    cities = np.array([f"city{k}" for k in rng.zipf(1.6, n)])  # a long tail of rare values
    return pa.table(
        {
            "income": pa.array(income, from_pandas=True),
            "age": rng.integers(18, 90, n),
            "plan": rng.choice(["basic", "pro", "enterprise"], n, p=[0.6, 0.3, 0.1]),
            "city": cities,
            "customer_id": [f"c{i}" for i in range(first_id, first_id + n)],
            "churned": rng.random(n) < 0.2,
            "score": rng.normal(0, 1, n),
            "tenure": rng.exponential(24.0, n).round(),
        }
    )


@pytest.mark.parametrize("seed", [0, 1])
def test_a_200k_window_like_the_reference_is_all_ok(seed):
    rng = np.random.default_rng(seed)
    reference, current = window(rng, 100_000, 0), window(rng, 200_000, 10_000_000)
    expectations = [
        parse_expectation(t)
        for t in (
            "income >= 0",
            "missing(income) <= 7%",
            "age between 18 and 89",
            "unique(customer_id)",
            "plan in [basic, pro, enterprise]",
            "rows >= 1000",
            "mean(score) between -0.1 and 0.1",
        )
    ]
    found = run(reference, current, own_schema=True, expectations=expectations)
    assert problems(found) == []
    assert len(found) > 60
