"""The quality-check descriptors, their registry, and what every check is handed.

A quality check is one function plus one :func:`register` call next to it. A
:class:`ColumnCheck` runs once per column whose profile has one of the types it names and
returns one finding for it (verdict ``ok`` when the column is fine, so a report shows what
was checked). A :class:`DatasetCheck` sees the whole :class:`Comparison` and returns its own
findings (schema checks, duplicate rows, user expectations).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from steward._exceptions import ProfileMismatch
from steward._registry import Registry
from steward.findings import Finding, Verdict
from steward.profile import ColumnProfile, Profile
from steward.schema import Schema

if TYPE_CHECKING:
    from steward.checks.quality._expectations import Expectation
    from steward.checks.quality._policy import QualityPolicy

MAX_NAMED = 20


@dataclass(frozen=True)
class Limits:
    """What one check on one column is held to: its threshold and the significance level."""

    threshold: float | None
    alpha: float

    @property
    def tolerance(self) -> float:
        return self.threshold or 0.0


@dataclass(frozen=True)
class ColumnPair:
    """One column's reference and current profiles, with their unparsed-value counts."""

    name: str
    ref: ColumnProfile
    cur: ColumnProfile
    ref_unparsed: int = 0
    cur_unparsed: int = 0


@dataclass(frozen=True)
class Comparison:
    """Everything the quality checks compare: two profiles, the policy, the expectations."""

    reference: Profile
    current: Profile
    policy: QualityPolicy
    current_schema: Schema | None = None
    expectations: tuple[Expectation, ...] = ()

    def shared_columns(self) -> list[str]:
        """Profiled columns present on both sides, in reference order."""
        return [name for name in self.reference.columns if name in self.current.columns]

    def pair(self, name: str) -> ColumnPair:
        ref, cur = self.reference.columns[name], self.current.columns[name]
        if type(ref) is not type(cur):
            raise ProfileMismatch(
                f"column {name!r} is {ref.kind} in the reference profile but {cur.kind} in the "
                "current one; profile the current data against the reference"
            )
        unparsed = self.reference.unparsed.get(name, 0), self.current.unparsed.get(name, 0)
        return ColumnPair(name, ref, cur, *unparsed)

    def limits(self, check: str, column: str | None = None) -> Limits:
        return Limits(self.policy.threshold(check, column), self.policy.alpha)

    def wants(self, check: str, column: str | None = None) -> bool:
        return not self.policy.skips(check, column)


@dataclass(frozen=True)
class ColumnCheck:
    """A check run once per column whose profile is one of ``profiles``.

    ``threshold`` is the default bar (a share; ``None`` when the check needs none) that the
    policy may override globally or per column.
    """

    name: str
    profiles: tuple[type, ...]
    run: Callable[[ColumnPair, Limits], Finding]
    threshold: float | None = None
    description: str = ""

    @property
    def check_name(self) -> str:
        return f"quality.{self.name}"

    def evaluate(self, comparison: Comparison) -> list[Finding]:
        names = [n for n in comparison.shared_columns() if comparison.wants(self.name, n)]
        return [
            self.run(comparison.pair(n), comparison.limits(self.name, n))
            for n in names
            if isinstance(comparison.reference.columns[n], self.profiles)
        ]


@dataclass(frozen=True)
class DatasetCheck:
    """A check that sees the whole comparison; ``needs`` says which part it reads."""

    name: str
    needs: Literal["schema", "rows", "expectations"]
    run: Callable[[Comparison, Limits], list[Finding]]
    threshold: float | None = None
    description: str = ""

    @property
    def check_name(self) -> str:
        return f"quality.{self.name}"

    def evaluate(self, comparison: Comparison) -> list[Finding]:
        if not comparison.wants(self.name):
            return []
        return self.run(comparison, comparison.limits(self.name))


QualityCheck = ColumnCheck | DatasetCheck
REGISTRY: Registry[QualityCheck] = Registry("quality check")


def register(check: QualityCheck) -> QualityCheck:
    return REGISTRY.register(check.name, check)


def get(name: str) -> QualityCheck:
    return REGISTRY.lookup(name)


def finding(
    name: str,
    column: str | None,
    statistic: float | None,
    verdict: Verdict,
    message: str,
    *,
    threshold: float | None = None,
    p_value: float | None = None,
    details: dict[str, Any] | None = None,
) -> Finding:
    """A ``quality.<name>`` finding."""
    return Finding(
        check=f"quality.{name}",
        column=column,
        statistic=statistic,
        verdict=verdict,
        threshold=threshold,
        p_value=p_value,
        message=message,
        details=details or {},
    )


def named(values: list[Any]) -> list[str]:
    """Offending values for ``details``: at most :data:`MAX_NAMED`, as strings."""
    return [str(v) for v in values[:MAX_NAMED]]
