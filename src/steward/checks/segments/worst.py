"""Worst-segment discovery: the slices where the model's error is significantly higher.

Without being told the segments, every conjunction of up to ``max_conditions`` conditions
on different features (see :mod:`._conditions`) holding between ``min_support`` of the rows
(and at least 30 rows) and half of them is tested, inside against outside, in one
vectorised pass (:mod:`._slices`, :mod:`._stats`).
Then:

1. **false discoveries** — the p-values of all tested slices pass through
   Benjamini–Hochberg at ``fdr``;
2. **relevance** — inside's error must be at least ``min_ratio`` times outside's;
3. **the simplest slice** — a slice is dropped when one of its parents (the slice without
   one of its conditions) explains it: the slice is not significantly worse than the rest
   of that parent, so the extra condition adds nothing;
4. **ranking** — by ``(inside - outside) × sqrt(support)``, effect and size together;
5. **one at a time** — the best slice is reported, its rows are set aside, and the rest of
   the data is searched again (all slices, a fresh Benjamini–Hochberg), up to ``top``
   times. A parent that only looked bad because it holds the worse child, or a near-copy
   of a reported slice, is then not found again; a later finding's numbers are computed
   without the rows of the earlier ones (``details["excluding"]`` names them).

A search that finds nothing says so in one ``ok`` finding with the number of slices tested.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from steward._exceptions import CheckError
from steward.checks.segments._conditions import Feature, encode_features
from steward.checks.segments._errors import RowErrors, row_errors
from steward.checks.segments._slices import Slices, enumerate_slices
from steward.checks.segments._stats import Sums, band, benjamini_hochberg, greater, sums_of
from steward.findings import Finding, Verdict
from steward.io import to_arrow
from steward.schema import Schema

CHECK = "segment.worst"
MIN_SLICE_ROWS = 30
MAX_SUPPORT = 0.5


@dataclass(frozen=True)
class Search:
    """What one search works on: the coded features and the error of each labelled row."""

    features: list[Feature]
    errors: np.ndarray
    binary: bool
    metric: str
    center: float
    fdr: float
    min_ratio: float

    @property
    def rows(self) -> int:
        return len(self.errors)

    @property
    def total(self) -> Sums:
        return sums_of(self.errors - self.center)

    def without(self, rows: np.ndarray) -> Search:
        """The same search over the rows not in the boolean mask ``rows``."""
        keep = ~rows
        features = [f.subset(keep) for f in self.features]
        return Search(
            features,
            self.errors[keep],
            self.binary,
            self.metric,
            self.center,
            self.fdr,
            self.min_ratio,
        )


@dataclass(frozen=True)
class Tested:
    """Every tested slice with its means, test, p-value and q-value."""

    slices: Slices
    inside: np.ndarray
    outside: np.ndarray
    p: np.ndarray
    q: np.ndarray
    tests: np.ndarray
    rows: int

    @property
    def score(self) -> np.ndarray:
        """Effect and size together: ``(inside - outside) × sqrt(support)``."""
        return (self.inside - self.outside) * np.sqrt(self.slices.sums.n / self.rows)


def find_worst_segments(
    table: pa.Table,
    schema: Schema,
    *,
    errors: np.ndarray | None = None,
    max_conditions: int = 2,
    min_support: float = 0.01,
    fdr: float = 0.05,
    top: int = 10,
    bins: int = 5,
    min_ratio: float = 1.1,
) -> list[Finding]:
    """``segment.worst`` findings, most severe first: slices with significantly higher error.

    ``errors`` (one per row, NaN where unknown) replaces the errors derived from the target
    and prediction columns, for example a label-free estimate of each row's error.
    """
    check_arguments(max_conditions, min_support, fdr, top, bins)
    table = to_arrow(table)
    search = build_search(table, schema, row_errors(table, schema, errors), bins, fdr, min_ratio)
    return run_search(search, max_conditions, min_support, top)


def check_arguments(
    max_conditions: int, min_support: float, fdr: float, top: int, bins: int
) -> None:
    if max_conditions not in (1, 2, 3):
        raise CheckError(f"max_conditions must be 1, 2 or 3, not {max_conditions}")
    if not 0 < min_support < 0.5:
        raise CheckError(f"min_support must be in (0, 0.5), not {min_support}")
    if not 0 < fdr < 1:
        raise CheckError(f"fdr must be in (0, 1), not {fdr}")
    if top < 1 or bins < 2:
        raise CheckError(f"top must be at least 1 and bins at least 2 (got {top}, {bins})")


def build_search(
    table: pa.Table, schema: Schema, errs: RowErrors, bins: int, fdr: float, min_ratio: float
) -> Search:
    """Code the features of the rows that have an error."""
    valid = errs.valid
    rows = table.filter(pa.array(valid)) if not valid.all() else table
    values = errs.values[valid]
    center = 0.0 if errs.binary or not len(values) else float(values.mean())
    features = encode_features(rows, schema, bins) if len(values) else []
    return Search(features, values, errs.binary, errs.metric, center, fdr, min_ratio)


def run_search(search: Search, max_conditions: int, min_support: float, top: int) -> list[Finding]:
    """Find the worst slice, set its rows aside, and search the rest again, ``top`` times.

    Each round tests every slice of the rows left and controls the false discovery rate
    across them, so once the real weak slices are set aside the rest is searched as the
    null case it is, and a parent or a near-copy of a found slice is not found again.
    """
    min_rows = max(math.ceil(min_support * search.rows), MIN_SLICE_ROWS)
    findings: list[Finding] = []
    first: Tested | None = None
    for rank in range(1, top + 1):
        slices = enumerate_slices(
            search.features, search.errors - search.center, max_conditions, min_rows, MAX_SUPPORT
        )
        if len(slices) == 0:
            break
        tested = score_slices(search, slices)
        first = tested if first is None else first
        ranked = _candidates(search, tested)
        if len(ranked) == 0:
            break
        best = int(ranked[0])
        findings.append(_finding(search, tested, best, rank, _excluded(findings)))
        search = search.without(slice_mask(search.features, slices.members(best), search.rows))
    if findings:
        return findings
    return [_nothing(search, first) if first is not None else _untested(search, min_rows)]


def _excluded(findings: list[Finding]) -> list[list[str]]:
    return [f.details["conditions"] for f in findings]


def score_slices(search: Search, slices: Slices) -> Tested:
    """Inside against outside for every slice, then Benjamini–Hochberg across them all."""
    outside = search.total - slices.sums
    p, tests = greater(slices.sums, outside, search.binary)
    inside_mean = slices.sums.mean + search.center
    outside_mean = outside.mean + search.center
    q = benjamini_hochberg(p)
    return Tested(slices, inside_mean, outside_mean, p, q, tests, search.rows)


def _candidates(search: Search, tested: Tested) -> np.ndarray:
    """Significant, relevant and not explained by a parent, best score first."""
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = tested.inside / tested.outside
    relevant = (ratio >= search.min_ratio) | ((tested.outside <= 0) & (tested.inside > 0))
    index = np.flatnonzero((tested.q <= search.fdr) & relevant & (tested.inside > tested.outside))
    index = index[~_explained_by_parent(search, tested.slices, index)]
    return index[np.argsort(-tested.score[index], kind="stable")]


def _explained_by_parent(search: Search, slices: Slices, index: np.ndarray) -> np.ndarray:
    """Whether some parent's other rows are about as bad as the slice (one-sided test)."""
    inside = slices.sums.take(index)
    parents = slices.parents.take(index)
    widen = Sums(inside.n[:, None], inside.s[:, None], inside.q[:, None])
    p, _ = greater(widen, parents - widen, search.binary)
    width = slices.features.shape[1]
    real = (np.arange(width)[None, :] < slices.order[index, None]) & (slices.order[index, None] > 1)
    return np.asarray(((p > search.fdr) & real).any(axis=1), dtype=bool)


def slice_mask(features: list[Feature], members: list[tuple[int, int]], rows: int) -> np.ndarray:
    """The rows of one slice."""
    mask = np.ones(rows, dtype=bool)
    for feature, condition in members:
        mask &= features[feature].mask(condition)
    return mask


def _finding(
    search: Search, tested: Tested, i: int, rank: int, excluded: list[list[str]]
) -> Finding:
    slices = tested.slices
    conditions = [search.features[f].labels[c] for f, c in slices.members(i)]
    rows = int(slices.sums.n[i])
    inside, outside = float(tested.inside[i]), float(tested.outside[i])
    lower, upper = band(slices.sums.take(slice(i, i + 1)), search.binary)
    shift = search.center
    ratio = inside / outside if outside > 0 else math.inf
    details = {
        "conditions": conditions,
        "features": [search.features[f].name for f, _ in slices.members(i)],
        "rows": rows,
        "support": rows / search.rows,
        "rows_searched": search.rows,
        "inside": inside,
        "outside": outside,
        "ratio": ratio,
        "test": str(tested.tests[i]),
        "q_value": float(tested.q[i]),
        "metric": search.metric,
        "rank": rank,
        "slices_tested": len(slices),
        "fdr": search.fdr,
        "excluding": excluded,
    }
    return Finding(
        check=CHECK,
        column=None,
        statistic=inside,
        verdict=Verdict.FAIL,
        threshold=outside,
        p_value=float(tested.p[i]),
        effect_size=inside - outside,
        message=_message(search.metric, conditions, details),
        details=details,
        lower=float(lower[0] + shift),
        upper=float(upper[0] + shift),
    )


def _message(metric: str, conditions: list[str], d: dict[str, Any]) -> str:
    where = " and ".join(conditions)
    text = (
        f"{metric} {d['inside']:.3g} where {where} ({d['rows']:,} rows, {d['support']:.1%}) "
        f"vs {d['outside']:.3g} elsewhere: {d['ratio']:.2f}× "
        f"({d['test']}, q={q_text(d['q_value'])})"
    )
    if d["excluding"]:
        text += f"; rows of the {len(d['excluding'])} slice(s) found before set aside"
    return text


def q_text(value: float) -> str:
    return f"{value:.2g}" if value >= 1e-300 else "<1e-300"


def _nothing(search: Search, tested: Tested) -> Finding:
    n = len(tested.slices)
    significant = int((tested.q <= search.fdr).sum())
    message = f"no segment is significantly worse ({n:,} slices tested, FDR {search.fdr:.0%})"
    return Finding(
        check=CHECK,
        column=None,
        statistic=None,
        verdict=Verdict.OK,
        message=message,
        details={
            "slices_tested": n,
            "fdr": search.fdr,
            "metric": search.metric,
            "significant_not_relevant": significant,
            "rows": search.rows,
        },
    )


def _untested(search: Search, min_rows: int) -> Finding:
    message = (
        f"no slice could be tested: {search.rows:,} rows with an error, and a slice needs "
        f"at least {min_rows:,} rows inside and outside"
    )
    return Finding(
        check=CHECK,
        column=None,
        statistic=None,
        verdict=Verdict.UNRELIABLE,
        message=message,
        details={
            "slices_tested": 0,
            "rows": search.rows,
            "min_rows": min_rows,
            "reason": "too few rows",
        },
    )
