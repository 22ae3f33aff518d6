"""Robust Mahalanobis distance: how far a row sits from the bulk, given the correlations.

The location and covariance come from scikit-learn's ``MinCovDet`` (minimum covariance
determinant) on the normal scores of the numeric features (see ``_encoding``), so the
outliers already in the reference do not inflate the covariance they are measured with.

MCD fits the tightest half of the rows; a column whose most common value holds ``MAX_TIE``
of the rows or more (constant, zero-inflated, nearly binary) would let that half collapse
onto the tie and make every other value of the column look infinitely far, so such columns
are left out (``extreme_value`` still sees them). A small ridge keeps the covariance
invertible. Missing values sit at the median. Categorical and boolean features are not used.
MCD's cost grows quickly past ~1,000 rows, hence the smaller ``max_fit_rows`` default.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pyarrow as pa
from scipy import linalg
from sklearn.covariance import MinCovDet

from steward._exceptions import CheckError, InputError
from steward.checks.outliers._base import DetectorSpec, OutlierDetector, register
from steward.checks.outliers._encoding import Encoder
from steward.profile._codec import decode_array, encode_array
from steward.schema import Kind

RIDGE = 1e-3
MAX_TIE = 0.4


class MahalanobisDetector(OutlierDetector):
    """Robust (MCD) Mahalanobis distance on the numeric features.

    >>> import numpy as np, pyarrow as pa
    >>> from steward.schema import infer_schema
    >>> rng = np.random.default_rng(0)
    >>> a = rng.normal(size=800)
    >>> reference = pa.table({"a": a, "b": a + 0.1 * rng.normal(size=800)})
    >>> detector = MahalanobisDetector().fit(reference, infer_schema(reference))
    >>> detector.flag(pa.table({"a": [1.0, 1.0], "b": [1.0, -1.0]})).tolist()  # breaks a ≈ b
    [False, True]
    """

    name = "mahalanobis"
    kinds = frozenset({Kind.NUMERIC})

    def __init__(
        self,
        support_fraction: float | None = None,
        *,
        random_state: int = 0,
        max_fit_rows: int = 2_000,
        max_holdout_rows: int = 20_000,
    ) -> None:
        super().__init__(
            random_state=random_state, max_fit_rows=max_fit_rows, max_holdout_rows=max_holdout_rows
        )
        self.support_fraction = support_fraction

    def _fit(self, table: pa.Table) -> None:
        self.encoder_ = Encoder.fit(self.tails_, table, indicators=False)
        matrix = self.encoder_.transform(table, self.columns_, dtype=np.float64)
        self.kept_ = np.flatnonzero([_modal_share(column) < MAX_TIE for column in matrix.T])
        if len(self.kept_) == 0:
            raise CheckError(
                "mahalanobis: every numeric feature is constant or mostly one value "
                f"(≥ {MAX_TIE:.0%} of the reference rows)"
            )
        model = MinCovDet(support_fraction=self.support_fraction, random_state=self.random_state)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                model.fit(matrix[:, self.kept_])
            except (ValueError, np.linalg.LinAlgError) as exc:
                raise CheckError(f"mahalanobis cannot fit the reference: {exc}") from exc
        self.location_ = np.asarray(model.location_, dtype=float)
        self.covariance_ = _regularised(np.asarray(model.covariance_, dtype=float))
        self._whiten()

    def _whiten(self) -> None:
        """``W`` with ``|W (x - location)|² = (x - location)ᵀ Σ⁻¹ (x - location)``."""
        try:
            lower = linalg.cholesky(self.covariance_, lower=True)
        except linalg.LinAlgError as exc:
            raise CheckError(
                f"mahalanobis: the covariance is not positive definite: {exc}"
            ) from exc
        self._whitening = linalg.solve_triangular(lower, np.eye(len(lower)), lower=True)

    def _score(self, table: pa.Table) -> np.ndarray:
        matrix = self.encoder_.transform(table, self.columns_, dtype=np.float64)[:, self.kept_]
        z = (matrix - self.location_) @ self._whitening.T
        return np.sqrt(np.einsum("ij,ij->i", z, z))

    def _state_to_dict(self) -> dict[str, Any]:
        arrays = {"kept": self.kept_, "location": self.location_, "covariance": self.covariance_}
        return {
            "encoder": self.encoder_.to_dict(),
            **{k: encode_array(v) for k, v in arrays.items()},
        }

    def _state_from_dict(self, state: dict[str, Any]) -> None:
        self.encoder_ = Encoder.from_dict(self.tails_, state["encoder"])
        self.kept_ = decode_array(state["kept"]).astype(np.int64)
        self.location_ = decode_array(state["location"])
        covariance = decode_array(state["covariance"])
        width, size = len(self.encoder_.names), len(self.kept_)
        valid = size and np.all((self.kept_ >= 0) & (self.kept_ < width))
        if not valid or self.location_.shape != (size,) or covariance.shape != (size * size,):
            raise InputError("saved mahalanobis detector: inconsistent array shapes")
        self.covariance_ = covariance.reshape(size, size)
        self._whiten()


def _modal_share(values: np.ndarray) -> float:
    """The share of the most common value."""
    if len(values) == 0:
        return 1.0
    _, counts = np.unique(values, return_counts=True)
    return float(counts.max() / len(values))


def _regularised(covariance: np.ndarray) -> np.ndarray:
    """Add a ridge (in robust-scaled units) so a degenerate support still inverts."""
    return covariance + RIDGE * np.eye(len(covariance))


register(
    DetectorSpec(
        "mahalanobis",
        frozenset({Kind.NUMERIC}),
        MahalanobisDetector,
        "Robust Mahalanobis distance (minimum covariance determinant) on numeric features.",
    )
)
