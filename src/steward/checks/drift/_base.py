"""The drift-test descriptor, its registry, and the aligned view of two column profiles.

A drift test is one function plus one :func:`register` call next to it. Tests on
``counts`` see the two columns as count vectors over shared bins (numeric bins on the
reference's edges, or categories plus "other") and must accept a 2-D current (one row per
simulated window) so a null distribution can be drawn in one vectorised call. Tests on
``sample`` see the reservoir samples of both sides.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

import numpy as np

from steward._exceptions import CheckError
from steward._registry import Registry
from steward.profile import CategoricalProfile, NumericProfile, TextProfile
from steward.schema import Kind

NUMERIC_KINDS = frozenset({Kind.NUMERIC, Kind.TEXT})
DISCRETE_KINDS = frozenset({Kind.CATEGORICAL, Kind.BOOLEAN})
ALL_KINDS = NUMERIC_KINDS | DISCRETE_KINDS


@dataclass(frozen=True)
class TestResult:
    statistic: float
    p_value: float | None = None
    effect_size: float | None = None


@dataclass(frozen=True)
class DriftTest:
    """A registered drift test.

    ``threshold`` is the default fixed threshold: on the p-value when ``threshold_on`` is
    ``"p_value"`` (drift when below), else on the statistic (drift when at or above).
    ``is_distance`` marks statistics that are effect sizes in their own right.
    """

    name: str
    kinds: frozenset[Kind]
    threshold: float
    uses: Literal["counts", "sample"]
    run: Callable[[Pair], TestResult]
    threshold_on: Literal["statistic", "p_value"] = "statistic"
    is_distance: bool = True
    null_statistic: Callable[[Pair, np.ndarray], np.ndarray] | None = None
    description: str = ""

    @property
    def check_name(self) -> str:
        return f"drift.{self.name}"


REGISTRY: Registry[DriftTest] = Registry("drift test")


def register(test: DriftTest) -> DriftTest:
    return REGISTRY.register(test.name, test)


def get(name: str) -> DriftTest:
    return REGISTRY.lookup(name)


@dataclass
class Pair:
    """One column of the reference and the current data, aligned for comparison."""

    column: str
    kind: Kind
    ref: NumericProfile | CategoricalProfile
    cur: NumericProfile | CategoricalProfile
    ref_sample: np.ndarray | None = None
    cur_sample: np.ndarray | None = None
    coarse_bins: int = 20

    @classmethod
    def of(cls, column: str, kind: Kind, ref, cur, ref_sample=None, cur_sample=None) -> Pair:
        if isinstance(ref, TextProfile):
            ref, cur = ref.length, cur.length
        return cls(column, kind, ref, cur, ref_sample, cur_sample)

    @property
    def numeric(self) -> bool:
        return isinstance(self.ref, NumericProfile)

    @cached_property
    def fine(self) -> tuple[np.ndarray, np.ndarray]:
        """Counts over the finest shared bins (numeric) or categories plus other."""
        if isinstance(self.ref, NumericProfile):
            return self.ref.counts.astype(float), self.cur.counts.astype(float)
        keys = list(dict.fromkeys([*self.ref.counts, *self.cur.counts]))
        ref = np.array([self.ref.counts.get(k, 0) for k in keys] + [self.ref.other], float)
        cur = np.array([self.cur.counts.get(k, 0) for k in keys] + [self.cur.other], float)
        keep = (ref + cur) > 0
        return ref[keep], cur[keep]

    @cached_property
    def keys(self) -> list[str]:
        """Category names behind :attr:`fine` (categorical columns only)."""
        if isinstance(self.ref, NumericProfile):
            return []
        keys = [*list(dict.fromkeys([*self.ref.counts, *self.cur.counts])), "(other)"]
        ref_other, cur_other = self.ref.other, self.cur.other
        counts = [self.ref.counts.get(k, 0) + self.cur.counts.get(k, 0) for k in keys[:-1]]
        counts.append(ref_other + cur_other)
        return [k for k, c in zip(keys, counts, strict=False) if c > 0]

    @cached_property
    def grouping(self) -> np.ndarray | None:
        """For numeric columns, a map from fine bins to ~equal-reference-mass coarse bins."""
        if not isinstance(self.ref, NumericProfile):
            return None
        ref = self.fine[0]
        inner = ref[1:-1]
        if len(inner) <= 2 * self.coarse_bins or inner.sum() == 0:
            return None
        centre = (np.cumsum(inner) - inner / 2) / inner.sum()
        group = np.minimum((centre * self.coarse_bins).astype(int), self.coarse_bins - 1) + 1
        return np.concatenate([[0], group, [self.coarse_bins + 1]])

    def coarsen(self, counts: np.ndarray) -> np.ndarray:
        """Fold fine counts (1-D or 2-D) into the coarse bins."""
        group = self.grouping
        if group is None:
            return counts
        size = int(group.max()) + 1
        if counts.ndim == 1:
            return np.bincount(group, weights=counts, minlength=size)
        out = np.zeros((counts.shape[0], size))
        np.add.at(out.T, group, counts.T)
        return out

    @cached_property
    def coarse(self) -> tuple[np.ndarray, np.ndarray]:
        ref, cur = self.fine
        return self.coarsen(ref), self.coarsen(cur)

    def positions(self) -> tuple[np.ndarray, np.ndarray]:
        """Where the mass of each fine bin sits, reference and current (numeric only)."""
        if not isinstance(self.ref, NumericProfile):
            raise CheckError(f"column {self.column!r}: this test needs a numeric column")
        return self.ref.bin_means(), self.cur.bin_means()

    @property
    def ref_std(self) -> float:
        if not isinstance(self.ref, NumericProfile):
            return float("nan")
        m = self.ref.moments
        return float(np.sqrt(m.m2 / m.n)) if m.n else float("nan")

    def samples(self) -> tuple[np.ndarray, np.ndarray]:
        if self.ref_sample is None or self.cur_sample is None:
            raise CheckError(f"column {self.column!r}: no sample of rows in the profile")
        return self.ref_sample, self.cur_sample


def proportions(counts: np.ndarray) -> np.ndarray:
    """Counts to proportions along the last axis; an all-zero row stays zero."""
    total = counts.sum(axis=-1, keepdims=True)
    return np.divide(counts, total, out=np.zeros_like(counts, dtype=float), where=total > 0)


def require_data(pair: Pair, ref: np.ndarray, cur: np.ndarray) -> None:
    if ref.sum() == 0:
        raise CheckError(f"column {pair.column!r}: the reference has no values to compare")
    if cur.sum() == 0:
        raise CheckError(f"column {pair.column!r}: the current data has no values to compare")
