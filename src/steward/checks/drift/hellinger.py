"""Hellinger distance: sqrt(1 − Σ sqrt(r·c)) = ‖√r − √c‖₂ / √2, between 0 and 1."""

from __future__ import annotations

import numpy as np

from steward.checks.drift._base import ALL_KINDS, register
from steward.checks.drift._binned import binned


def hellinger(ref_p: np.ndarray, cur_p: np.ndarray) -> np.ndarray:
    # the root-difference form: 1 − Σ√(r·c) cancels to ~1e-16, whose root is ~1e-8
    return np.sqrt(0.5 * np.sum((np.sqrt(ref_p) - np.sqrt(cur_p)) ** 2, axis=-1))


register(
    binned(
        "hellinger",
        ALL_KINDS,
        0.1,
        hellinger,
        "Hellinger distance between the binned distributions.",
    )
)
