"""Metrics per segment: each value of a segment column against the rest of the rows.

Every value gets its rows, its error (classification: error rate with a Wilson band;
regression: mean absolute error with a Student t band), the rest's error, and a one-sided
test of "worse than the rest" whose p-values pass through Benjamini–Hochberg across all the
values checked. A value with fewer than ``min_rows`` labelled rows is reported as a small
segment, verdict ``unreliable``, never as a confident ``ok`` or ``fail``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from steward.checks.segments._errors import RowErrors, row_errors
from steward.checks.segments._stats import Sums, band, benjamini_hochberg, greater, sums_of
from steward.checks.segments._values import SegmentValues, segment_columns, segment_values
from steward.findings import Finding, Verdict
from steward.schema import Schema

CHECK = "segment.metric"


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
    columns = segment_columns(table, schema, segments)
    errs = row_errors(table, schema, errors)
    rows = [_value_rows(table, name, errs) for name in columns]
    findings = _findings(rows, errs, min_rows, fdr, window)
    return sorted(findings, key=lambda f: -f.verdict.severity)


def _value_rows(table: pa.Table, name: str, errs: RowErrors) -> tuple[SegmentValues, Sums]:
    """The column's values and, per value, the sums of its rows that have an error."""
    values = segment_values(table.column(name), name)
    valid = errs.valid
    codes, e = values.codes[valid], errs.values[valid] - _center(errs)
    size = len(values.values)
    counts = [np.bincount(codes, weights=w, minlength=size) for w in (np.ones_like(e), e, e * e)]
    return values, Sums(*counts)


def _findings(
    columns: list[tuple[SegmentValues, Sums]],
    errs: RowErrors,
    min_rows: int,
    fdr: float,
    window: int | None,
) -> list[Finding]:
    center = _center(errs)
    total = sums_of(errs.values[errs.valid] - center)
    tested = [_test(sums, total, errs.binary, min_rows, center) for _, sums in columns]
    large = np.concatenate([t["large"] for t in tested]) if tested else np.zeros(0, bool)
    p_all = np.concatenate([t["p"] for t in tested]) if tested else np.zeros(0)
    q_all = np.ones(len(p_all))
    q_all[large] = benjamini_hochberg(p_all[large])
    findings, start = [], 0
    for (values, _), t in zip(columns, tested, strict=True):
        q = q_all[start : start + len(values.values)]
        start += len(values.values)
        context = {"values": values, "metric": errs.metric, "fdr": fdr, "window": window}
        findings += [_finding(context, t, q, code) for code in range(len(values.values))]
    return findings


def _center(errs: RowErrors) -> float:
    """Continuous errors are summed around their mean, which keeps variances accurate."""
    values = errs.values[errs.valid]
    return 0.0 if errs.binary or not len(values) else float(values.mean())


def _test(inside: Sums, total: Sums, binary: bool, min_rows: int, center: float) -> dict[str, Any]:
    outside = total - inside
    p, tests = greater(inside, outside, binary)
    lower, upper = band(inside, binary)
    return {
        "center": center,
        "inside": inside,
        "outside": outside,
        "p": p,
        "tests": tests,
        "lower": lower,
        "upper": upper,
        "large": inside.n >= max(min_rows, 1),
    }


def _finding(context: dict[str, Any], t: dict[str, Any], q: np.ndarray, code: int) -> Finding:
    values: SegmentValues = context["values"]
    inside, outside = t["inside"].take(code), t["outside"].take(code)
    rows = int(inside.n)
    small = not bool(t["large"][code])
    mean_in, mean_out = _mean(inside) + t["center"], _mean(outside) + t["center"]
    details = {
        "segment": values.column,
        "value": values.values[code],
        "rows": rows,
        "inside": mean_in,
        "outside": mean_out,
        "difference": mean_in - mean_out,
        "small": small,
        "metric": context["metric"],
        "test": str(t["tests"][code]),
        "q_value": None if small else float(q[code]),
        "fdr": context["fdr"],
    }
    verdict = _verdict(details, context["fdr"])
    if small:
        details["reason"] = f"small segment ({rows} rows)"
    return Finding(
        check=CHECK,
        column=values.column,
        statistic=mean_in,
        verdict=verdict,
        threshold=mean_out,
        p_value=None if small else float(t["p"][code]),
        effect_size=mean_in - mean_out,
        window=context["window"],
        message=_message(values.label(code), details, verdict),
        details=details,
        lower=_number(t["lower"][code] + t["center"]),
        upper=_number(t["upper"][code] + t["center"]),
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
