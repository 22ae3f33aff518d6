"""Population Stability Index: Σ (c − r)·ln(c / r) over ~equal-reference-mass bins."""

from __future__ import annotations

import numpy as np

from steward.checks.drift._base import ALL_KINDS, register
from steward.checks.drift._binned import binned, clip


def psi(ref_p: np.ndarray, cur_p: np.ndarray) -> np.ndarray:
    r, c = clip(ref_p), clip(cur_p)
    return np.sum((c - r) * np.log(c / r), axis=-1)


register(
    binned(
        "psi",
        ALL_KINDS,
        0.1,
        psi,
        "Population Stability Index; empty bins count as a share of 1e-4.",
    )
)
