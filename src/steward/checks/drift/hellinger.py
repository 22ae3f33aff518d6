"""Hellinger distance: sqrt(1 − Σ sqrt(r·c)), between 0 and 1."""

from __future__ import annotations

import numpy as np

from steward.checks.drift._base import ALL_KINDS, register
from steward.checks.drift._binned import binned


def hellinger(ref_p: np.ndarray, cur_p: np.ndarray) -> np.ndarray:
    overlap = np.sum(np.sqrt(ref_p * cur_p), axis=-1)
    return np.sqrt(np.maximum(1.0 - overlap, 0.0))


register(binned("hellinger", ALL_KINDS, 0.1, hellinger,
                "Hellinger distance between the binned distributions."))
