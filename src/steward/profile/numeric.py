"""The profile of one numeric column: counts, moments, a quantile sketch and a histogram.

The histogram's bin edges come from the reference: quantile edges for continuous values, or
one bin per distinct value when there are few of them (so tests on binned counts are then
exact). Each bin keeps the sum of its values too, so distances that need positions, such as
Wasserstein, place each bin's mass at its mean.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from datasketches import kll_doubles_sketch

from steward._exceptions import ProfileMismatch
from steward.profile._hll import HyperLogLog
from steward.profile._moments import Moments

KLL_K = 200


@dataclass
class NumericProfile:
    """Mergeable summary of a numeric column. Bins: ``(-inf, e0), [e0, e1), …, [e_m, inf)``."""

    rows: int
    nulls: int
    nans: int
    pos_inf: int
    neg_inf: int
    minimum: float
    maximum: float
    moments: Moments
    edges: np.ndarray
    counts: np.ndarray
    sums: np.ndarray
    kll: kll_doubles_sketch | None
    hll: HyperLogLog = field(default_factory=HyperLogLog.empty)

    kind = "numeric"

    @classmethod
    def build(
        cls,
        values: np.ndarray,
        nulls: int,
        edges: np.ndarray | None,
        bins: int,
        hashes: np.ndarray | None = None,
        sketch: bool = True,
    ) -> NumericProfile:
        """Profile the non-null float64 ``values``; ``edges=None`` derives them from the data."""
        nan = np.isnan(values)
        pos, neg = values == np.inf, values == -np.inf
        finite = np.sort(values[~(nan | pos | neg)])  # one sort: edges, bins and sums
        if edges is None:
            edges = reference_edges(finite, bins)
        counts, sums = _histogram(finite, edges)
        kll = None
        if sketch:
            kll = kll_doubles_sketch(KLL_K)
            if len(finite):
                kll.update(finite)
        hll = HyperLogLog.empty()
        if hashes is not None:
            hll.update(hashes)
        return cls(
            rows=len(values) + nulls,
            nulls=nulls,
            nans=int(nan.sum()),
            pos_inf=int(pos.sum()),
            neg_inf=int(neg.sum()),
            minimum=float(finite[0]) if len(finite) else float("inf"),
            maximum=float(finite[-1]) if len(finite) else float("-inf"),
            moments=Moments.of(finite),
            edges=edges,
            counts=counts,
            sums=sums,
            kll=kll,
            hll=hll,
        )

    @property
    def missing(self) -> int:
        return self.nulls + self.nans

    @property
    def finite(self) -> int:
        return self.moments.n

    @property
    def distinct(self) -> float:
        return self.hll.estimate()

    def quantiles(self, ranks: list[float] | np.ndarray) -> np.ndarray:
        if self.kll is None or self.kll.is_empty():
            return np.full(len(ranks), np.nan)
        return np.asarray(self.kll.get_quantiles(list(ranks)), dtype=float)

    def bin_means(self) -> np.ndarray:
        """Where each bin's mass sits: its mean, or its middle for empty bins."""
        inner = np.concatenate(
            [[self.edges[0]], (self.edges[:-1] + self.edges[1:]) / 2, [self.edges[-1]]]
        )
        with np.errstate(invalid="ignore", divide="ignore"):
            means = np.where(self.counts > 0, self.sums / np.maximum(self.counts, 1), inner)
        return means

    def merge(self, other: NumericProfile) -> NumericProfile:
        if not np.array_equal(self.edges, other.edges):
            raise ProfileMismatch(
                "cannot merge numeric profiles with different bin edges; profile both "
                "against the same reference"
            )
        kll = None
        if self.kll is not None and other.kll is not None:
            kll = kll_doubles_sketch.deserialize(self.kll.serialize())
            kll.merge(other.kll)
        return NumericProfile(
            rows=self.rows + other.rows,
            nulls=self.nulls + other.nulls,
            nans=self.nans + other.nans,
            pos_inf=self.pos_inf + other.pos_inf,
            neg_inf=self.neg_inf + other.neg_inf,
            minimum=min(self.minimum, other.minimum),
            maximum=max(self.maximum, other.maximum),
            moments=self.moments.merge(other.moments),
            edges=self.edges,
            counts=self.counts + other.counts,
            sums=self.sums + other.sums,
            kll=kll,
            hll=self.hll.merge(other.hll),
        )

    def to_dict(self) -> dict[str, Any]:
        from steward.profile._codec import encode_array, encode_bytes

        m = self.moments
        return {
            "kind": self.kind,
            "rows": self.rows,
            "nulls": self.nulls,
            "nans": self.nans,
            "pos_inf": self.pos_inf,
            "neg_inf": self.neg_inf,
            "minimum": self.minimum,
            "maximum": self.maximum,
            "moments": [m.n, m.mean, m.m2, m.m3, m.m4],
            "edges": encode_array(self.edges),
            "counts": encode_array(self.counts),
            "sums": encode_array(self.sums),
            "kll": encode_bytes(self.kll.serialize()) if self.kll is not None else None,
            "hll": encode_array(self.hll.registers),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NumericProfile:
        from steward.profile._codec import decode_array, decode_bytes

        n, mean, m2, m3, m4 = data["moments"]
        kll = data["kll"]
        return cls(
            rows=data["rows"],
            nulls=data["nulls"],
            nans=data["nans"],
            pos_inf=data["pos_inf"],
            neg_inf=data["neg_inf"],
            minimum=data["minimum"],
            maximum=data["maximum"],
            moments=Moments(int(n), mean, m2, m3, m4),
            edges=decode_array(data["edges"]),
            counts=decode_array(data["counts"]),
            sums=decode_array(data["sums"]),
            kll=kll_doubles_sketch.deserialize(decode_bytes(kll)) if kll else None,
            hll=HyperLogLog(decode_array(data["hll"])),
        )


def reference_edges(ordered: np.ndarray, bins: int) -> np.ndarray:
    """Bin edges from sorted reference values: one bin per value if few, else quantile edges."""
    if len(ordered) == 0:
        return np.array([0.0, 1.0])
    distinct = ordered[np.r_[True, ordered[1:] != ordered[:-1]]]
    if len(distinct) <= bins:
        return _distinct_edges(distinct)
    # exact quantiles, not a sketch: KLL compacts at random, and the same reference must
    # always give the same edges (profiles only merge and compare on identical edges).
    # The same values as np.quantile(method="inverted_cdf").
    grid = np.linspace(0.0, 1.0, bins + 1)
    index = np.clip(np.ceil(grid * len(ordered)).astype(np.int64) - 1, 0, len(ordered) - 1)
    edges = ordered[index]
    edges[-1] = np.nextafter(edges[-1], np.inf)  # the maximum falls in the last inner bin
    return np.unique(edges)


def _distinct_edges(distinct: np.ndarray) -> np.ndarray:
    middles = (distinct[:-1] + distinct[1:]) / 2
    top = np.nextafter(distinct[-1], np.inf)
    return np.concatenate([[distinct[0]], middles, [top]])


def _histogram(ordered: np.ndarray, edges: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Counts and sums per bin of sorted values; bin ``j`` holds ``edges[j-1] <= x < edges[j]``.

    Cutting sorted values at the edges costs less than locating every value among the
    edges (a binary search per value with scattered memory access).
    """
    cuts = np.searchsorted(ordered, edges, side="left")
    bounds = np.concatenate([[0], cuts, [len(ordered)]])
    counts = np.diff(bounds).astype(np.int64)
    sums = np.zeros(len(counts))
    filled = counts > 0
    if filled.any():  # non-empty bins start at strictly increasing positions
        sums[filled] = np.add.reduceat(ordered, bounds[:-1][filled])
    return counts, sums
