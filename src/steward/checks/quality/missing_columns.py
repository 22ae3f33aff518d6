"""Missing columns: reference columns absent from the current data.

One finding per reference column (ignored columns aside). A missing feature, id, segment or
timestamp fails. Labels and model outputs (target, prediction, score) are often logged or
joined later, so their absence is reported with verdict ok.
"""

from __future__ import annotations

from steward.checks.quality._base import Comparison, DatasetCheck, Limits, finding, register
from steward.findings import Finding, Verdict
from steward.schema import Column, Role

JOINED_LATER = frozenset({Role.TARGET, Role.PREDICTION, Role.SCORE})


def missing_columns(comparison: Comparison, limits: Limits) -> list[Finding]:
    present = set(current_names(comparison))
    return [
        _finding(column, column.name in present)
        for column in comparison.reference.schema
        if column.role is not Role.IGNORED and comparison.wants("missing_columns", column.name)
    ]


def current_names(comparison: Comparison) -> list[str]:
    """Columns of the current data: its own schema when given, else its profile's columns."""
    if comparison.current_schema is not None:
        return comparison.current_schema.names
    return list(comparison.current.columns)


def _finding(column: Column, present: bool) -> Finding:
    name = column.name
    if present:
        return finding("missing_columns", name, 0.0, Verdict.OK, f"{name}: present", threshold=0.0)
    later = column.role in JOINED_LATER
    verdict = Verdict.OK if later else Verdict.FAIL
    note = f" ({column.role.value} columns may be joined later)" if later else ""
    return finding(
        "missing_columns",
        name,
        1.0,
        verdict,
        f"{name}: {column.role.value} column missing from the current data{note}",
        threshold=0.0,
        details={"role": column.role.value, "kind": column.kind.value},
    )


register(
    DatasetCheck(
        "missing_columns",
        "schema",
        missing_columns,
        description="Reference columns absent from the current data.",
    )
)
