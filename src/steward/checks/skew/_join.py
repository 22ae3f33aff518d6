"""Two tables joined by id: the pairs of rows, the id problems on each side, and their findings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from steward._exceptions import InputError
from steward.checks.skew._columns import Bars, column_finding, labels
from steward.findings import Finding, Verdict

_ID, _TRAINING_ROW, _OTHER_ROW = "__steward_id", "__steward_training_row", "__steward_other_row"


@dataclass(frozen=True)
class Join:
    """Rows of two tables paired by id (every matching pair, as an inner join does)."""

    table: pa.Table  # _ID, training columns "t:<name>", other columns "o:<name>"
    summary: dict[str, Any]
    sides: tuple[str, str]

    def pair(self, name: str) -> tuple[pa.ChunkedArray, pa.ChunkedArray]:
        return self.table.column(f"t:{name}"), self.table.column(f"o:{name}")

    @property
    def keys(self) -> pa.ChunkedArray:
        return self.table.column(_ID)


def join_by_id(
    training: pa.Table,
    other: pa.Table,
    id: str,
    columns: list[str],
    sides: tuple[str, str] = ("training", "serving"),
) -> Join:
    """Inner-join on ``id``, counting null, duplicated and one-sided ids on each side."""
    left_ids, right_ids, cast = _join_keys(training.column(id), other.column(id), id)
    left = _keyed(training, left_ids, columns, "t", _TRAINING_ROW)
    right = _keyed(other, right_ids, columns, "o", _OTHER_ROW)
    try:
        joined = left.join(right, _ID, join_type="inner")
    except (pa.ArrowNotImplementedError, pa.ArrowInvalid) as exc:
        raise InputError(f"cannot join on id column {id!r}: {exc}") from exc
    joined = joined.sort_by(
        [(_ID, "ascending"), (_TRAINING_ROW, "ascending"), (_OTHER_ROW, "ascending")]
    )
    summary = {
        "joined_rows": joined.num_rows,
        "id_compared_as": cast,
        **_id_counts(left_ids, right_ids, sides),
    }
    return Join(joined, summary, sides)


def _join_keys(
    a: pa.ChunkedArray, b: pa.ChunkedArray, id: str
) -> tuple[pa.ChunkedArray, pa.ChunkedArray, str]:
    a, b = _decoded(a), _decoded(b)
    if a.type == b.type:
        return a, b, str(a.type)
    try:
        return labels(a), labels(b), "string"
    except (pa.ArrowNotImplementedError, pa.ArrowInvalid) as exc:
        raise InputError(
            f"id column {id!r} is {a.type} on one side and {b.type} on the "
            "other, and they cannot be compared"
        ) from exc


def _decoded(column: pa.ChunkedArray) -> pa.ChunkedArray:
    if pa.types.is_dictionary(column.type):
        return pc.cast(column, column.type.value_type)
    return column


def _keyed(
    table: pa.Table, ids: pa.ChunkedArray, columns: list[str], prefix: str, row: str
) -> pa.Table:
    arrays = {_ID: ids, row: pa.array(np.arange(table.num_rows))}
    arrays.update({f"{prefix}:{c}": table.column(c) for c in columns})
    return pa.table(arrays).filter(pc.is_valid(ids))


def _id_counts(
    left: pa.ChunkedArray, right: pa.ChunkedArray, sides: tuple[str, str]
) -> dict[str, int]:
    counts: dict[str, int] = {}
    for side, ids, others in ((sides[0], left, right), (sides[1], right, left)):
        valid = ids.drop_null()
        distinct = pc.unique(valid)
        repeated = pc.value_counts(valid).field("counts")
        counts[f"{side}_rows"] = len(ids)
        counts[f"{side}_null_ids"] = ids.null_count
        counts[f"{side}_duplicate_ids"] = int(pc.sum(pc.greater(repeated, 1)).as_py() or 0)
        counts[f"{side}_duplicate_rows"] = len(valid) - len(distinct)
        counts[f"{side}_only_ids"] = int(
            len(distinct)
            - pc.sum(pc.is_in(distinct, value_set=others.drop_null().unique())).as_py()
        )
        counts[f"{side}_ids"] = len(distinct)
    return counts


def join_finding(
    check: str, join: Join, extra: dict[str, Any], covered: str, strict: bool = False
) -> Finding:
    """The join as a finding: its statistic is the share of ``covered``'s ids matched."""
    s = join.summary
    matched = s[f"{covered}_ids"] - s[f"{covered}_only_ids"]
    statistic = matched / s[f"{covered}_ids"] if s[f"{covered}_ids"] else 0.0
    other = join.sides[1] if covered == join.sides[0] else join.sides[0]
    message = (
        f"{s['joined_rows']} joined rows; {matched} of {s[f'{covered}_ids']} {covered} ids "
        f"found in {other}; " + _id_problems(join)
    )
    return Finding(
        check=check,
        column=None,
        statistic=statistic,
        verdict=_join_verdict(join, strict),
        message=message,
        details={**s, **extra, "covered": covered},
    )


def _join_verdict(join: Join, strict: bool) -> Verdict:
    """Duplicated or null ids warn; with ``strict`` (every row must match, as in a replay)
    they fail, and so do ids on one side only. Nothing joined always fails."""
    kinds = ("duplicate_ids", "null_ids", *(("only_ids",) if strict else ()))
    problems = sum(join.summary[f"{side}_{kind}"] for side in join.sides for kind in kinds)
    if join.summary["joined_rows"] == 0 or (strict and problems):
        return Verdict.FAIL
    return Verdict.WARN if problems else Verdict.OK


def _id_problems(join: Join) -> str:
    (a, b), s = join.sides, join.summary
    return (
        f"ids only in {a}: {s[f'{a}_only_ids']}, only in {b}: {s[f'{b}_only_ids']}; "
        f"duplicated ids: {s[f'{a}_duplicate_ids']} / {s[f'{b}_duplicate_ids']}; "
        f"null ids: {s[f'{a}_null_ids']} / {s[f'{b}_null_ids']}"
    )


def joined_findings(check: str, join: Join, names: list[str], bars: Bars) -> list[Finding]:
    if join.table.num_rows == 0:
        reason = "no rows share an id, so no values can be compared"
        return [
            Finding(
                check=check,
                column=name,
                statistic=None,
                verdict=Verdict.UNRELIABLE,
                message=f"not compared: {reason}",
                details={"reason": reason},
            )
            for name in names
        ]
    return [column_finding(check, name, *join.pair(name), join.keys, bars) for name in names]
