"""Jensen–Shannon distance (base 2, between 0 and 1), as ``scipy.spatial.distance``."""

from __future__ import annotations

import numpy as np

from steward.checks.drift._base import ALL_KINDS, register
from steward.checks.drift._binned import binned


def _kl_terms(p: np.ndarray, m: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(p > 0, p * np.log2(p / m), 0.0)


def jensen_shannon(ref_p: np.ndarray, cur_p: np.ndarray) -> np.ndarray:
    m = (ref_p + cur_p) / 2
    divergence = (_kl_terms(ref_p, m).sum(axis=-1) + _kl_terms(cur_p, m).sum(axis=-1)) / 2
    return np.sqrt(np.maximum(divergence, 0.0))


register(
    binned(
        "jensen_shannon",
        ALL_KINDS,
        0.1,
        jensen_shannon,
        "Jensen–Shannon distance, base 2: 0 for equal distributions, 1 for disjoint.",
    )
)
