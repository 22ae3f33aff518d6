"""Metrics per segment: each value of a segment column against the rest of the rows.

Every value gets its rows, its error (classification: error rate with a Wilson band;
regression: mean absolute error with a Student t band), the rest's error, and a one-sided
test of "worse than the rest" whose p-values pass through Benjamini–Hochberg across all the
values checked. A value with fewer than ``min_rows`` labelled rows is reported as a small
segment, verdict ``unreliable``, never as a confident ``ok`` or ``fail``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from steward.checks.segments._errors import RowErrors, row_errors
from steward.checks.segments._stats import Sums, band, benjamini_hochberg, greater, sums_of
from steward.checks.segments._values import SegmentValues, segment_columns, segment_values
from steward.findings import Finding, Verdict
from steward.io import to_arrow
from steward.schema import Schema

CHECK = "segment.metric"


@dataclass(frozen=True)
class Context:
    """What every finding of one call shares."""

    metric: str
    fdr: float
    window: int | None


def segment_metrics(
    table: pa.Table,
    schema: Schema,
    segments: list[str] | None = None,
    window: int | None = None,
    min_rows: int = 100,
    *,
    errors: np.ndarray | None = None,
    fdr: float = 0.05,
) -> list[Finding]:
    """One ``segment.metric`` finding per value of each segment column, most severe first.

    ``segments`` defaults to the columns with the role ``segment``. ``errors`` (one per
    row, NaN where unknown) replaces the errors derived from target and prediction, for
    example :func:`estimated_errors` before labels arrive.
    """
    table = to_arrow(table)
    names = segment_columns(table, schema, segments)
    errs = row_errors(table, schema, errors)
    center = _center(errs)
    columns = [_column(table, name, errs, center, min_rows) for name in names]
    context = Context(errs.metric, fdr, window)
    findings = [
        _finding(column, float(q[code]), code, center, context)
        for column, q in zip(columns, _q_values(columns), strict=True)
        for code in range(len(column.values.values))
    ]
    return sorted(findings, key=lambda f: -f.verdict.severity)


@dataclass(frozen=True)
class _Column:
    """One segment column's values, each value's sums inside and outside, and its test."""

    values: SegmentValues
    inside: Sums
    outside: Sums
    p: np.ndarray
    tests: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    large: np.ndarray


def _center(errs: RowErrors) -> float:
    """Continuous errors are summed around their mean, which keeps variances accurate."""
    values = errs.values[errs.valid]
    return 0.0 if errs.binary or not len(values) else float(values.mean())


def _column(table: pa.Table, name: str, errs: RowErrors, center: float, min_rows: int) -> _Column:
    """Sums of each value's rows that have an error, and the test against the rest."""
    values = segment_values(table.column(name), name)
    codes, e = values.codes[errs.valid], errs.values[errs.valid] - center
    size = len(values.values)
    counts = [np.bincount(codes, weights=w, minlength=size) for w in (np.ones_like(e), e, e * e)]
    inside = Sums(*counts)
    outside = sums_of(e) - inside
    p, tests = greater(inside, outside, errs.binary)
    lower, upper = band(inside, errs.binary)
    return _Column(values, inside, outside, p, tests, lower, upper, inside.n >= max(min_rows, 1))


def _q_values(columns: list[_Column]) -> list[np.ndarray]:
    """Benjamini–Hochberg across the values large enough to test, of all columns at once."""
    if not columns:
        return []
    large = np.concatenate([c.large for c in columns])
    p = np.concatenate([c.p for c in columns])
    q = np.full(len(p), np.nan)
    q[large] = benjamini_hochberg(p[large])
    return np.split(q, np.cumsum([len(c.p) for c in columns])[:-1])


def _finding(column: _Column, q: float, code: int, center: float, context: Context) -> Finding:
    inside, outside = column.inside.take(code), column.outside.take(code)
    small = not bool(column.large[code])
    mean_in, mean_out = _mean(inside) + center, _mean(outside) + center
    details = {
        "segment": column.values.column,
        "value": column.values.values[code],
        "rows": int(inside.n),
        "inside": mean_in,
        "outside": mean_out,
        "difference": mean_in - mean_out,
        "small": small,
        "metric": context.metric,
        "test": str(column.tests[code]),
        "q_value": None if small else q,
        "fdr": context.fdr,
    }
    verdict = _verdict(details, context.fdr)
    if small:
        details["reason"] = f"small segment ({int(inside.n)} rows)"
    return Finding(
        check=CHECK,
        column=column.values.column,
        statistic=mean_in,
        verdict=verdict,
        threshold=mean_out,
        p_value=None if small else float(column.p[code]),
        effect_size=mean_in - mean_out,
        window=context.window,
        message=_message(column.values.label(code), details, verdict),
        details=details,
        lower=_number(column.lower[code] + center),
        upper=_number(column.upper[code] + center),
    )


def _verdict(details: dict[str, Any], fdr: float) -> Verdict:
    if details["small"]:
        return Verdict.UNRELIABLE
    worse = details["difference"] > 0 and details["q_value"] <= fdr
    return Verdict.FAIL if worse else Verdict.OK


def _message(label: str, d: dict[str, Any], verdict: Verdict) -> str:
    if verdict is Verdict.UNRELIABLE:
        return f"{label}: {d['reason']}, too few labelled rows to judge its {d['metric']}"
    text = (
        f"{label}: {d['metric']} {d['inside']:.3g} vs {d['outside']:.3g} elsewhere "
        f"({d['rows']:,} rows"
    )
    if verdict is Verdict.FAIL:
        return f"{text}; significantly worse, {d['test']} q={d['q_value']:.2g})"
    return text + ")"


def _mean(sums: Sums) -> float:
    return float(sums.s / sums.n) if sums.n > 0 else float("nan")


def _number(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None
