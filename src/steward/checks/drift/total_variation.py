"""Total variation distance: half the L1 distance between the two distributions."""

from __future__ import annotations

import numpy as np

from steward.checks.drift._base import ALL_KINDS, register
from steward.checks.drift._binned import binned


def total_variation(ref_p: np.ndarray, cur_p: np.ndarray) -> np.ndarray:
    return 0.5 * np.sum(np.abs(ref_p - cur_p), axis=-1)


register(
    binned(
        "total_variation",
        ALL_KINDS,
        0.1,
        total_variation,
        "Total variation distance: the largest difference in probability of any event.",
    )
)
