"""Type change: a column's Arrow type family changed from the reference's.

Needs the schema inferred from the current data on its own. Within one family (``int32`` →
``int64``, ``string`` → ``large_string``) the column passes, even when the kind inferred
from the window differs: a small or constant window reads integers as categories and
sentences as labels, and what matters there (constant values, values that no longer parse,
unseen categories) has its own check. Between the number families (``int64`` → ``double``,
often nulls arriving through pandas or JSON) it warns; so does any other family change that
keeps the kind (``"yes"``/``"no"`` strings arriving as booleans). A family change that also
changes the kind (numbers arriving as words) fails. An all-null current column has no type
to compare; ``missing_rate`` reports it.
"""

from __future__ import annotations

import re

from steward.checks.quality._base import Comparison, DatasetCheck, Limits, finding, register
from steward.findings import Finding, Verdict
from steward.schema import Column, Role

_FAMILIES = (
    ("integer", re.compile(r"^u?int\d+$")),
    ("floating", re.compile(r"^(halffloat|float|double)$")),
    ("decimal", re.compile(r"^decimal")),
    ("string", re.compile(r"^(large_)?(string|utf8)$|^string_view$")),
    ("boolean", re.compile(r"^bool$")),
    ("temporal", re.compile(r"^(timestamp|date|time)")),
)
_DICTIONARY = re.compile(r"^dictionary<values=([^,]+),")
NUMBERS = frozenset({"integer", "floating", "decimal"})


def type_change(comparison: Comparison, limits: Limits) -> list[Finding]:
    schema = comparison.current_schema
    if schema is None:
        return []
    return [
        _compare(column, schema[column.name])
        for column in comparison.reference.schema
        if column.name in schema
        and column.role is not Role.IGNORED
        and comparison.wants("type_change", column.name)
    ]


def family(dtype: str) -> str:
    """The family of an Arrow type string: integer, floating, string, temporal…"""
    match = _DICTIONARY.match(dtype)
    dtype = match.group(1) if match else dtype
    return next((name for name, pattern in _FAMILIES if pattern.search(dtype)), dtype)


def _compare(ref: Column, cur: Column) -> Finding:
    comparable = bool(ref.dtype) and bool(cur.dtype) and cur.dtype != "null"
    verdict = (
        _verdict(family(ref.dtype), family(cur.dtype), ref.kind is not cur.kind)
        if comparable
        else Verdict.OK
    )
    details = {
        "reference": {"dtype": ref.dtype, "kind": ref.kind.value},
        "current": {"dtype": cur.dtype, "kind": cur.kind.value},
    }
    return finding(
        "type_change",
        ref.name,
        float(verdict is not Verdict.OK),
        verdict,
        _message(ref, cur, comparable, verdict),
        details=details,
    )


def _verdict(before: str, after: str, new_kind: bool) -> Verdict:
    if before == after:
        return Verdict.OK
    if {before, after} <= NUMBERS or not new_kind:
        return Verdict.WARN
    return Verdict.FAIL


def _message(ref: Column, cur: Column, comparable: bool, verdict: Verdict) -> str:
    if not comparable:
        return f"{ref.name}: no type to compare (current type {cur.dtype or 'unknown'})"
    before, after = f"{ref.dtype} ({ref.kind.value})", f"{cur.dtype} ({cur.kind.value})"
    if before == after:
        return f"{ref.name}: {before}"
    if verdict is Verdict.OK:
        return f"{ref.name}: {before}, now {after} (same type family)"
    return f"{ref.name}: type {before} → {after}"


register(
    DatasetCheck(
        "type_change",
        "schema",
        type_change,
        description="Arrow type family or kind of a column changed from the reference's.",
    )
)
