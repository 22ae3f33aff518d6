"""Per-feature extreme values: a row is as outlying as its most extreme feature.

Each feature's score is ``-log10`` of its two-sided tail probability in the reference
(see ``_tails``); the row's score is the maximum over features. Univariate and rank-based,
so it is insensitive to scale and skew, explains itself (the feature with the maximum), and
catches unseen categories and impossible values that multivariate detectors dilute; it
misses rows that are only unusual in combination (see ``mahalanobis``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from steward.checks.outliers._base import DetectorSpec, OutlierDetector, register
from steward.checks.outliers._columns import USED_KINDS


class ExtremeValueDetector(OutlierDetector):
    """The largest per-feature ``-log10`` tail probability of each row.

    >>> import numpy as np, pyarrow as pa
    >>> from steward.schema import infer_schema
    >>> rng = np.random.default_rng(0)
    >>> reference = pa.table({"x": rng.normal(size=2000), "c": rng.choice(["a", "b"], 2000)})
    >>> detector = ExtremeValueDetector().fit(reference, infer_schema(reference))
    >>> detector.flag(pa.table({"x": [0.1, 0.1, 9.0], "c": ["a", "new", "b"]})).tolist()
    [False, True, True]
    """

    name = "extreme_value"
    kinds = USED_KINDS

    def _fit(self, table: pa.Table) -> None:
        """The tail model fitted by the base class is the whole model."""

    def _score(self, table: pa.Table) -> np.ndarray:
        scores = self.tails_.scores(table, self.columns_)
        return scores.max(axis=1) if scores.shape[1] else np.zeros(len(scores))

    def _state_to_dict(self) -> dict[str, Any]:
        return {}

    def _state_from_dict(self, state: dict[str, Any]) -> None:
        return None


register(
    DetectorSpec(
        "extreme_value",
        USED_KINDS,
        ExtremeValueDetector,
        "Largest per-feature -log10 two-sided tail probability (unseen categories extreme).",
    )
)
