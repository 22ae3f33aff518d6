"""Drift per segment: the default drift verdict on each segment value's own rows.

For every value of the segment column, the reference rows holding it are profiled, the
current rows holding it are profiled against that reference profile, and
:func:`steward.checks.drift_verdict.check_drift` compares the two. The false-discovery rate
is split evenly across the segment values (Benjamini–Hochberg within a value, Bonferroni
across values), so more segments do not mean more false alarms. A value with fewer than
``min_rows`` rows on either side is reported as a small segment, verdict ``unreliable``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pyarrow as pa

from steward.checks.drift_verdict import check_drift
from steward.checks.policy import DriftPolicy
from steward.checks.segments._values import (
    MISSING,
    rows_of,
    segment_columns,
    segment_values,
)
from steward.findings import Finding, Verdict
from steward.io import to_arrow
from steward.profile import profile
from steward.schema import Schema

CHECK = "segment.drift"


def segment_drift(
    reference_table: pa.Table,
    current_table: pa.Table,
    schema: Schema,
    segment: str,
    *,
    policy: DriftPolicy | None = None,
    window: int | None = None,
    min_rows: int = 100,
) -> list[Finding]:
    """``segment.drift`` findings: every drift-tested column within every segment value."""
    reference_table, current_table = to_arrow(reference_table), to_arrow(current_table)
    segment_columns(reference_table, schema, [segment])
    segment_columns(current_table, schema, [segment])
    values = _values(reference_table, current_table, segment)
    policy = policy or DriftPolicy()
    shared = policy.model_copy(update={"fdr": policy.fdr / max(len(values), 1)})
    findings: list[Finding] = []
    for value in values:
        ref = rows_of(reference_table, segment, value)
        cur = rows_of(current_table, segment, value)
        findings += _one_value(ref, cur, schema, segment, value, shared, window, min_rows)
    return sorted(findings, key=lambda f: -f.verdict.severity)


def _values(reference: pa.Table, current: pa.Table, segment: str) -> list[Any]:
    """Every value seen on either side, the reference's first; ``None`` for missing."""
    seen: list[Any] = []
    for table in (reference, current):
        for value in segment_values(table.column(segment), segment).values:
            if value not in seen:
                seen.append(value)
    return seen


def _one_value(
    ref: pa.Table,
    cur: pa.Table,
    schema: Schema,
    segment: str,
    value: Any,
    policy: DriftPolicy,
    window: int | None,
    min_rows: int,
) -> list[Finding]:
    about = {
        "segment": segment,
        "value": value,
        "rows_reference": ref.num_rows,
        "rows_current": cur.num_rows,
    }
    if min(ref.num_rows, cur.num_rows) < max(min_rows, 1):
        return [_small(about, window, min_rows)]
    reference = profile(ref, schema)
    current = profile(cur, schema, reference=reference)
    drift = check_drift(reference, current, policy, window)
    return [_relabel(f, about) for f in drift if f.column != segment]


def _relabel(finding: Finding, about: dict[str, Any]) -> Finding:
    details = {**about, "test": finding.check, **finding.details, "small": False}
    message = f"[{_label(about)}] {finding.message}"
    return replace(finding, check=CHECK, details=details, message=message)


def _small(about: dict[str, Any], window: int | None, min_rows: int) -> Finding:
    rows = min(about["rows_reference"], about["rows_current"])
    side = "reference" if about["rows_reference"] <= about["rows_current"] else "current"
    reason = f"small segment ({rows} rows)"
    absent = " (a value it does not hold)" if rows == 0 else ""
    return Finding(
        check=CHECK,
        column=None,
        statistic=None,
        verdict=Verdict.UNRELIABLE,
        window=window,
        message=(
            f"[{_label(about)}] {reason} in the {side} data{absent}; drift needs "
            f"{min_rows} rows on each side"
        ),
        details={**about, "small": True, "reason": reason, "test": None},
    )


def _label(about: dict[str, Any]) -> str:
    value = about["value"]
    return f"{about['segment']} {MISSING}" if value is None else f"{about['segment']} == {value!r}"
