"""Kullback–Leibler divergence of the current from the reference, KL(current ‖ reference)."""

from __future__ import annotations

import numpy as np

from steward.checks.drift._base import ALL_KINDS, register
from steward.checks.drift._binned import binned, clip


def kl_divergence(ref_p: np.ndarray, cur_p: np.ndarray) -> np.ndarray:
    r, c = clip(ref_p), clip(cur_p)
    r = r / r.sum(axis=-1, keepdims=True)
    c = c / c.sum(axis=-1, keepdims=True)
    return np.sum(c * np.log(c / r), axis=-1)


register(
    binned(
        "kl",
        ALL_KINDS,
        0.1,
        kl_divergence,
        "Kullback–Leibler divergence in nats; empty bins count as a share of 1e-4.",
    )
)
