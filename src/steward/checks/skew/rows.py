"""Row-level skew: the same entities, joined by id, with other values in training and serving."""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from steward._exceptions import UnknownColumn
from steward.checks.skew._columns import Bars
from steward.checks.skew._join import join_by_id, join_finding, joined_findings
from steward.findings import Finding
from steward.io import to_arrow


def row_skew(
    training: pa.Table | Any,
    serving: pa.Table | Any,
    id: str,
    columns: list[str] | None = None,
    rtol: float = 1e-6,
    atol: float = 1e-9,
    *,
    warn_share: float = 0.0,
    fail_share: float = 0.01,
) -> list[Finding]:
    """Join serving rows to training rows by ``id`` and compare every shared column.

    Returns ``skew.row_join`` (the join: joined rows, ids on one side only, duplicated and
    null ids) and one ``skew.row_mismatch`` per column, whose statistic is the share of
    joined rows that differ: it warns above ``warn_share`` and fails above ``fail_share``.
    A duplicated id pairs every training row with every serving row of that id.
    """
    left, right = to_arrow(training), to_arrow(serving)
    names = shared_columns(left, right, id, columns, ("training", "serving"))
    join = join_by_id(left, right, id, names)
    bars = Bars(rtol, atol, warn_share, fail_share)
    summary = join_finding(
        "skew.row_join", join, _one_sided(left, right, id, names), covered="serving"
    )
    findings = [summary]
    findings += joined_findings("skew.row_mismatch", join, names, bars)
    return findings


def shared_columns(
    left: pa.Table,
    right: pa.Table,
    id: str | None,
    columns: list[str] | None,
    sides: tuple[str, str],
) -> list[str]:
    for table, side in ((left, sides[0]), (right, sides[1])):
        wanted = ([id] if id is not None else []) + list(columns or [])
        unknown = [c for c in wanted if c not in table.column_names]
        if unknown:
            raise UnknownColumn(
                f"unknown column(s) {unknown} in the {side} data; it has {table.column_names}"
            )
    if columns is not None:
        return list(columns)
    return [c for c in left.column_names if c != id and c in right.column_names]


def _one_sided(left: pa.Table, right: pa.Table, id: str, names: list[str]) -> dict[str, Any]:
    return {
        "columns": names,
        "training_only_columns": [
            c for c in left.column_names if c != id and c not in right.column_names
        ],
        "serving_only_columns": [
            c for c in right.column_names if c != id and c not in left.column_names
        ],
    }
