"""Isolation forest on the encoded features: rows that few random splits isolate are rare.

Fitted with scikit-learn's ``IsolationForest`` (fixed ``random_state``) on at most
``max_fit_rows`` reference rows; each tree sees ``max_samples`` of them, as in the original
paper (256 is enough: more rows per tree blur the isolation of small clusters). The trees are
kept as plain arrays (see ``_forest``) so a fitted detector saves without pickle.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pyarrow as pa
from sklearn.ensemble import IsolationForest

from steward._exceptions import CheckError, InputError
from steward.checks.outliers._base import DetectorSpec, OutlierDetector, register
from steward.checks.outliers._columns import USED_KINDS
from steward.checks.outliers._encoding import Encoder
from steward.checks.outliers._forest import Forest


class IsolationForestDetector(OutlierDetector):
    """Isolation forest outlier scores, in (0, 1], on normal-scored features (see ``_encoding``).

    >>> import numpy as np, pyarrow as pa
    >>> from steward.schema import infer_schema
    >>> rng = np.random.default_rng(0)
    >>> reference = pa.table({"a": rng.normal(size=2000), "b": rng.normal(size=2000)})
    >>> detector = IsolationForestDetector(n_estimators=50).fit(reference, infer_schema(reference))
    >>> detector.flag(pa.table({"a": [0.0, 8.0], "b": [0.0, -8.0]})).tolist()
    [False, True]
    """

    name = "isolation_forest"
    kinds = USED_KINDS

    def __init__(
        self,
        n_estimators: int = 100,
        max_samples: int = 256,
        *,
        random_state: int = 0,
        max_fit_rows: int = 10_000,
        max_holdout_rows: int = 20_000,
    ) -> None:
        super().__init__(
            random_state=random_state, max_fit_rows=max_fit_rows, max_holdout_rows=max_holdout_rows
        )
        self.n_estimators = n_estimators
        self.max_samples = max_samples

    def _fit(self, table: pa.Table) -> None:
        if self.n_estimators < 1 or self.max_samples < 2:
            raise InputError("isolation_forest needs n_estimators >= 1 and max_samples >= 2")
        self.encoder_ = Encoder.fit(self.tails_, table)
        matrix = self.encoder_.transform(table, self.columns_)
        model = IsolationForest(
            n_estimators=self.n_estimators,
            max_samples=min(self.max_samples, len(matrix)),
            random_state=self.random_state,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                model.fit(matrix)
            except ValueError as exc:
                raise CheckError(f"isolation_forest cannot fit the reference: {exc}") from exc
        self.forest_ = Forest.from_sklearn(model)

    def _score(self, table: pa.Table) -> np.ndarray:
        return self.forest_.score(self.encoder_.transform(table, self.columns_))

    def _state_to_dict(self) -> dict[str, Any]:
        return {"encoder": self.encoder_.to_dict(), "forest": self.forest_.to_dict()}

    def _state_from_dict(self, state: dict[str, Any]) -> None:
        self.encoder_ = Encoder.from_dict(self.tails_, state["encoder"])
        self.forest_ = Forest.from_dict(state["forest"])
        if self.forest_.n_features != len(self.encoder_.names):
            raise InputError("saved isolation_forest: the forest and the encoder disagree")


register(
    DetectorSpec(
        "isolation_forest",
        USED_KINDS,
        IsolationForestDetector,
        "Isolation forest (scikit-learn) on normal scores of every feature.",
    )
)
