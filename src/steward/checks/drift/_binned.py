"""Building blocks for drift tests on binned counts (one vectorised statistic each)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from steward.checks.drift._base import DriftTest, Pair, TestResult, proportions, require_data
from steward.schema import Kind

Statistic = Callable[[np.ndarray, np.ndarray], np.ndarray]


def binned(
    name: str,
    kinds: frozenset[Kind],
    threshold: float,
    statistic: Statistic,
    description: str,
    coarse: bool = True,
) -> DriftTest:
    """A distance between the proportion vectors of the two sides.

    ``statistic(ref_p, cur_p)`` takes proportions; ``cur_p`` may be 2-D.
    """

    def counts(pair: Pair) -> tuple[np.ndarray, np.ndarray]:
        return pair.coarse if coarse else pair.fine

    def run(pair: Pair) -> TestResult:
        ref, cur = counts(pair)
        require_data(pair, ref, cur)
        value = float(statistic(proportions(ref), proportions(cur)))
        return TestResult(value, None, value)

    def null(pair: Pair, simulated_fine: np.ndarray) -> np.ndarray:
        ref = counts(pair)[0]
        simulated = pair.coarsen(simulated_fine) if coarse else simulated_fine
        return statistic(proportions(ref), proportions(simulated))

    return DriftTest(
        name, kinds, threshold, "counts", run, null_statistic=null, description=description
    )


def clip(p: np.ndarray, eps: float = 1e-4) -> np.ndarray:
    """Replace empty bins by a small share, as PSI and KL conventionally do."""
    return np.maximum(p, eps)


def step_cdf_distance(
    pair: Pair, cur_counts: np.ndarray, power: int, same_positions: bool = False
) -> np.ndarray:
    """∫|F_ref − F_cur|^power dx with each fine bin's mass at its mean (2-D current allowed)."""
    ref_pos, cur_pos = pair.positions()
    if same_positions:
        cur_pos = ref_pos
    ref_p = proportions(pair.fine[0])
    cur_p = proportions(cur_counts)
    x = np.concatenate([ref_pos, cur_pos])
    order = np.argsort(x, kind="stable")
    gaps = np.diff(x[order])
    zeros = np.zeros(cur_p.shape[:-1] + ref_p.shape)
    ref_w = np.concatenate([np.broadcast_to(ref_p, zeros.shape), np.zeros_like(cur_p)], -1)
    cur_w = np.concatenate([zeros, cur_p], axis=-1)
    diff = np.cumsum((ref_w - cur_w)[..., order], axis=-1)[..., :-1]
    return np.sum(np.abs(diff) ** power * gaps, axis=-1)
