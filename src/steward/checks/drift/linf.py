"""L-infinity distance: the largest difference in the share of one category or bin."""

from __future__ import annotations

import numpy as np

from steward.checks.drift._base import ALL_KINDS, register
from steward.checks.drift._binned import binned


def l_infinity(ref_p: np.ndarray, cur_p: np.ndarray) -> np.ndarray:
    return np.max(np.abs(ref_p - cur_p), axis=-1)


register(
    binned(
        "l_infinity",
        ALL_KINDS,
        0.1,
        l_infinity,
        "Largest absolute difference between category (or bin) shares.",
    )
)
