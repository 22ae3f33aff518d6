"""User expectations, evaluated on the current profile (see ``_expectations`` for the forms).

One ``quality.expectation`` finding per expectation, with ``details["expectation"]`` the text.
For rules on values (``income >= 0``, ``age between 18 and 100``, ``plan in [...]``) the
statistic is the share of values breaking the rule and any break fails; the share is exact
where the profile allows and estimated otherwise (``details["exact"]``). For aggregates
(``missing(age) <= 1%``, ``mean(income) between …``, ``rows >= 1000``) the statistic is the
observed value; an aggregate that has no values to work on warns. ``unique(id)`` reports
the duplicate count. A column the data has never had raises :class:`PlanError`.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable

from steward._exceptions import PlanError
from steward.checks.quality._base import Comparison, DatasetCheck, Limits, finding, register
from steward.checks.quality._estimate import Violations, violations
from steward.checks.quality._expectations import Expectation
from steward.checks.quality._stats import num, pct
from steward.findings import Finding, Verdict
from steward.profile import CategoricalProfile, ColumnProfile, KeyProfile, NumericProfile

_COMPARE: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
    "==": operator.eq,
    "!=": operator.ne,
}


def expectation(comparison: Comparison, limits: Limits) -> list[Finding]:
    return [evaluate(item, comparison) for item in comparison.expectations]


def evaluate(item: Expectation, comparison: Comparison) -> Finding:
    """One expectation's finding; unknown columns and misfit kinds raise PlanError."""
    if item.measure == "rows":
        return _aggregate(item, float(comparison.current.rows))
    column = _column(item, comparison)
    if column is None:
        return _finding(
            item,
            Verdict.FAIL,
            None,
            f"{item.text}: column {item.column!r} is missing from the current data",
        )
    if item.measure == "value":
        return _values(item, column)
    if item.measure == "unique":
        return _unique(item, column)
    return _aggregate(item, _measure(item, column))


def satisfied(value: float, op: str, bounds: tuple[float, ...]) -> bool:
    if op == "between":
        return bounds[0] <= value <= bounds[1]
    return _COMPARE[op](value, bounds[0])


def _column(item: Expectation, comparison: Comparison) -> ColumnProfile | None:
    name = str(item.column)
    if name in comparison.current.columns:
        return comparison.current.columns[name]
    if name in comparison.reference.columns:
        return None
    raise PlanError(
        f"expectation {item.where}: unknown column {name!r}; the data has "
        f"{sorted(comparison.reference.columns)}"
    )


def _misfit(item: Expectation, column: ColumnProfile, needs: str) -> PlanError:
    return PlanError(
        f"expectation {item.where}: needs {needs} column; {item.column!r} is {column.kind}"
    )


def _finding(
    item: Expectation,
    verdict: Verdict,
    statistic: float | None,
    message: str,
    threshold: float | None = None,
    **details: object,
) -> Finding:
    return finding(
        "expectation",
        item.column,
        statistic,
        verdict,
        message,
        threshold=threshold,
        details={"expectation": item.text, **details},
    )


# --- rules on values -----------------------------------------------------------------------


def _values(item: Expectation, column: ColumnProfile) -> Finding:
    if item.op == "in":
        if not isinstance(column, CategoricalProfile):
            raise _misfit(item, column, "a categorical or boolean")
        broken = _outside(column, item.members)
    else:
        if not isinstance(column, NumericProfile):
            raise _misfit(item, column, "a numeric")
        broken = violations(column, item.op, item.bounds)
    verdict = Verdict.FAIL if broken.count > 0 else Verdict.OK
    return _finding(
        item,
        verdict,
        broken.share,
        _broken_message(item, broken),
        0.0,
        violations=broken.count,
        values=broken.total,
        exact=broken.exact,
    )


def _outside(column: CategoricalProfile, members: tuple[str, ...]) -> Violations:
    allowed = set(members)
    count = sum(v for k, v in column.counts.items() if k not in allowed) + column.other
    return Violations(float(count), column.count, exact=column.other == 0)


def _broken_message(item: Expectation, broken: Violations) -> str:
    if broken.count == 0:
        return f"{item.text}: holds for all {broken.total:,} values"
    how = "" if broken.exact else ", estimated"
    return (
        f"{item.text}: {pct(broken.share)} of values break it "
        f"({broken.count:,.0f} of {broken.total:,}{how})"
    )


# --- aggregates ----------------------------------------------------------------------------


def _aggregate(item: Expectation, value: float) -> Finding:
    threshold = item.bounds[0] if len(item.bounds) == 1 else None
    if math.isnan(value):
        return _finding(
            item, Verdict.WARN, None, f"{item.text}: cannot be evaluated, no values", threshold
        )
    shown = pct(value) if item.measure == "missing" else num(value)
    ok = satisfied(value, item.op, item.bounds)
    verdict = Verdict.OK if ok else Verdict.FAIL
    message = f"{item.text}: {item.measure} is {shown}" + ("" if ok else ", which breaks it")
    return _finding(item, verdict, value, message, threshold, bounds=list(item.bounds))


def _measure(item: Expectation, column: ColumnProfile) -> float:
    if item.measure == "missing":
        return column.missing / column.rows if column.rows else math.nan
    if item.measure == "distinct":
        return _distinct(item, column)
    if not isinstance(column, NumericProfile):
        raise _misfit(item, column, "a numeric")
    return _numeric_measure(item.measure, column)


def _numeric_measure(measure: str, column: NumericProfile) -> float:
    if column.finite == 0:
        return math.nan
    values = {
        "mean": lambda: column.moments.mean,
        "std": lambda: column.moments.std,
        "min": lambda: column.minimum,
        "max": lambda: column.maximum,
        "median": lambda: float(column.quantiles([0.5])[0]),
    }
    return float(values[measure]())


def _distinct(item: Expectation, column: ColumnProfile) -> float:
    if isinstance(column, CategoricalProfile) and not column.other:
        return float(sum(1 for count in column.counts.values() if count > 0))
    if isinstance(column, (CategoricalProfile, NumericProfile, KeyProfile)):
        return float(round(column.distinct))
    raise _misfit(item, column, "a numeric, categorical or id")


# --- uniqueness ----------------------------------------------------------------------------


def _unique(item: Expectation, column: ColumnProfile) -> Finding:
    duplicates, exact = _duplicates(item, column)
    slack = 0.0 if exact else _hll_slack(column.rows - column.nulls, _registers(column))
    verdict = Verdict.OK if duplicates <= slack else Verdict.FAIL
    how = "" if exact else " (estimated from a distinct-count sketch)"
    message = f"{item.text}: {duplicates:,.0f} repeated values{how}"
    return _finding(item, verdict, duplicates, message, slack, exact=exact)


def _duplicates(item: Expectation, column: ColumnProfile) -> tuple[float, bool]:
    if isinstance(column, KeyProfile):
        return float(column.duplicates), True
    if isinstance(column, CategoricalProfile) and not column.other:
        present = sum(1 for count in column.counts.values() if count > 0)
        return float(column.count - present), True
    if isinstance(column, (CategoricalProfile, NumericProfile)):
        return max(0.0, round(column.rows - column.nulls - column.distinct)), False
    raise _misfit(item, column, "an id, categorical or numeric")


def _registers(column: ColumnProfile) -> int:
    hll = getattr(column, "hll", None)
    return len(hll.registers) if hll is not None else 4096


def _hll_slack(values: int, m: int) -> float:
    """Three standard errors of a distinct-count sketch with ``m`` registers."""
    t = values / m
    if values <= 2.5 * m:
        return 3 * math.sqrt(m * (math.exp(t) - t - 1))
    return 3 * 1.04 / math.sqrt(m) * values


register(
    DatasetCheck(
        "expectation",
        "expectations",
        expectation,
        description="User expectations on values and aggregates, such as income >= 0.",
    )
)
