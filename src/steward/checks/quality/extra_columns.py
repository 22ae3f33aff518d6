"""Extra columns: columns of the current data that the reference does not have.

Needs the current data's own schema. Extra columns are harmless to the model but usually mean
an upstream change, so each one warns; columns the reference has pass.
"""

from __future__ import annotations

from steward.checks.quality._base import Comparison, DatasetCheck, Limits, finding, register
from steward.findings import Finding, Verdict
from steward.schema import Column


def extra_columns(comparison: Comparison, limits: Limits) -> list[Finding]:
    if comparison.current_schema is None:
        return []
    known = set(comparison.reference.schema.names)
    return [
        _finding(column, column.name in known)
        for column in comparison.current_schema
        if comparison.wants("extra_columns", column.name)
    ]


def _finding(column: Column, known: bool) -> Finding:
    name = column.name
    if known:
        return finding(
            "extra_columns", name, 0.0, Verdict.OK, f"{name}: in the reference", threshold=0.0
        )
    return finding(
        "extra_columns",
        name,
        1.0,
        Verdict.WARN,
        f"{name}: {column.kind.value} column ({column.dtype}) not in the reference",
        threshold=0.0,
        details={"kind": column.kind.value, "dtype": column.dtype},
    )


register(
    DatasetCheck(
        "extra_columns",
        "schema",
        extra_columns,
        description="Columns of the current data that the reference does not have.",
    )
)
