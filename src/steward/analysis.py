"""The check families of a report beyond drift and quality, and when each one runs.

``compare`` builds one :class:`Analyses` per report: it fits what needs fitting on the
reference once (the performance estimator, the outlier detectors), then judges each window
and the whole current data. Families that need rows (estimates, outliers, segments) run
only when the reference rows are at hand, not from a stored profile alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from steward._exceptions import StewardError
from steward.checks.events import events_from_findings
from steward.checks.multivariate import check_multivariate
from steward.checks.performance import check_performance
from steward.findings import Finding, Verdict
from steward.profile import Profile
from steward.schema import Kind, Role, Schema

CLASSIFIER_DETECTORS = ("adwin", "ddm")
REGRESSOR_DETECTORS = ("adwin", "page_hinkley")


@dataclass
class Options:
    """Which optional families run; ``None`` means "when the data allows it"."""

    estimate: bool | None = None
    multivariate: bool = True
    outliers: bool | None = None
    segments: bool | None = None
    skew: Any = None
    model: Any = None


@dataclass
class Analyses:
    reference: Profile
    reference_table: pa.Table | None
    options: Options = field(default_factory=Options)
    estimator: Any = None
    detectors: list[Any] = field(default_factory=list)
    notes: list[Finding] = field(default_factory=list)

    @property
    def schema(self) -> Schema:
        return self.reference.schema

    def fit(self, current: pa.Table) -> Analyses:
        """Fit the estimator and outlier detectors on the reference rows, when wanted."""
        if self.reference_table is None:
            self.notes.append(
                _note(
                    "analysis",
                    "estimates, outliers, segments and skew need the reference rows; "
                    "a stored reference profile has none",
                )
            )
            return self
        if self._wants_estimate(current):
            self.estimator = self._fitted("estimate", _fit_estimator)
        if self._wants_model_checks():
            self.detectors = self._fitted("outlier", _fit_detectors) or []
        return self

    def _fitted(self, family: str, fit: Any) -> Any:
        try:
            return fit(self.reference_table, self.schema)
        except StewardError as exc:
            self.notes.append(_note(family, f"not run: {exc}"))
            return None

    def _wants_estimate(self, current: pa.Table) -> bool:
        if self.options.estimate is not None:
            return self.options.estimate
        target = self.schema.first(Role.TARGET)
        if target is None or not self.schema.with_role(Role.SCORE, Role.PREDICTION):
            return False
        if target.name not in current.column_names:
            return True
        return current.column(target.name).null_count > 0

    def _wants_model_checks(self) -> bool:
        if self.options.outliers is not None:
            return self.options.outliers
        return bool(self.schema.with_role(Role.TARGET, Role.SCORE))

    def window(self, profile: Profile, table: pa.Table, index: int | None) -> list[Finding]:
        """Performance, estimates, multivariate drift and outliers of one window."""
        findings = check_performance(self.reference, profile, index)
        if self.estimator is not None:
            findings += _guard("estimate", lambda: self.estimator.estimate(table, index))
        if self.options.multivariate:
            findings += _guard("drift", lambda: check_multivariate(self.reference, profile, index))
        if self.detectors:
            findings += self._outliers(table, index)
        return findings

    def _outliers(self, table: pa.Table, index: int | None) -> list[Finding]:
        from steward.checks.outliers import check_outliers

        findings = _guard("outlier", lambda: check_outliers(self.detectors, table, index))
        if self.schema.first(Role.CLIENT) is not None:
            findings += _guard("outlier", lambda: self._clients(table, index))
        return findings

    def _clients(self, table: pa.Table, index: int | None) -> list[Finding]:
        from steward.checks.clients import check_clients

        flags = self.detectors[0].flag(table)
        return check_clients(table, self.schema, flags, index)

    def overall(
        self, profile: Profile, table: pa.Table, findings: list[Finding], parts: list[pa.Table]
    ) -> list[Finding]:
        """Whole-data families: segments, why it changed, change detectors, events, skew."""
        extra = list(self.notes)
        if self._wants_segments():
            extra += self._segments(table, findings)
        if parts:
            extra += self._streams(parts)
            extra += _events(findings)
        if self.options.skew is not None:
            extra += self._skew(profile, table)
        return extra

    def _wants_segments(self) -> bool:
        if self.options.segments is not None:
            return self.options.segments
        return self._wants_model_checks()

    def _segments(self, table: pa.Table, findings: list[Finding]) -> list[Finding]:
        from steward.checks.segments import explain_change, find_worst_segments, segment_metrics

        out: list[Finding] = []
        if _labelled_rows(table, self.schema):
            out += _guard("segment", lambda: find_worst_segments(table, self.schema))
            if self.schema.with_role(Role.SEGMENT):
                out += _guard("segment", lambda: segment_metrics(table, self.schema))
        overall = [f for f in findings if f.family == "drift" and f.window is None and f.column]
        changed = any(f.verdict is Verdict.FAIL for f in overall)
        if changed and self.reference_table is not None:
            out += _guard(
                "segment",
                lambda: explain_change(
                    self.reference_table,
                    table,
                    self.schema,
                    model=self.options.model,
                    drift_findings=overall,
                ),
            )
        return out

    def _streams(self, parts: list[pa.Table]) -> list[Finding]:
        from steward.stream import findings_for_windows

        errors = [_error_stream(part, self.schema) for part in parts]
        if not any(len(e) for e in errors):
            return []
        target = self.schema.first(Role.TARGET)
        numeric = target is not None and target.kind is Kind.NUMERIC
        names = REGRESSOR_DETECTORS if numeric else CLASSIFIER_DETECTORS
        out: list[Finding] = []
        for name in names:
            out += _guard("stream", lambda name=name: findings_for_windows(name, errors))
        return out

    def _skew(self, profile: Profile, table: pa.Table) -> list[Finding]:
        from steward.checks.skew import check_distribution_skew, row_skew
        from steward.io import to_arrow
        from steward.profile import profile as make_profile

        training = to_arrow(self.options.skew, require_rows=True)
        shared = Schema(columns=tuple(c for c in self.schema if c.name in training.column_names))
        trained = make_profile(training, shared, reference=self.reference)
        out = _guard("skew", lambda: check_distribution_skew(trained, profile))
        key = self.schema.first(Role.ID)
        if key is not None and key.name in training.column_names and key.name in table.column_names:
            out += _guard("skew", lambda: row_skew(training, table, key.name))
        return out


def _fit_estimator(reference: pa.Table, schema: Schema) -> Any:
    from steward.checks.estimate import fit_estimator

    return fit_estimator(reference, schema)


def _fit_detectors(reference: pa.Table, schema: Schema) -> list[Any]:
    from steward.checks.outliers import fit_detectors

    if not schema.features():
        return []
    return fit_detectors(reference, schema)


def _guard(family: str, run: Any) -> list[Finding]:
    """Run one family; a Steward error becomes an ``unreliable`` note instead of a crash."""
    try:
        return list(run())
    except StewardError as exc:
        return [_note(family, f"not run: {exc}")]


def _note(family: str, message: str) -> Finding:
    return Finding(
        check=f"{family}.skipped",
        column=None,
        statistic=None,
        verdict=Verdict.UNRELIABLE,
        message=message,
        details={"reason": message},
    )


def _events(findings: list[Finding]) -> list[Finding]:
    checks = sorted(
        {
            f.check
            for f in findings
            if f.family == "outlier" and f.window is not None and f.check != "outlier.client"
        }
    )
    out: list[Finding] = []
    for check in checks:
        out += _guard("outlier", lambda check=check: events_from_findings(findings, check))
    return out


def _labelled_rows(table: pa.Table, schema: Schema) -> int:
    target = schema.first(Role.TARGET)
    if target is None or target.name not in table.column_names:
        return 0
    return len(table) - table.column(target.name).null_count


def _error_stream(table: pa.Table, schema: Schema) -> np.ndarray:
    """Per-row model error of the labelled rows, in row order: 0/1 or absolute error."""
    target = schema.first(Role.TARGET)
    guess = schema.first(Role.PREDICTION)
    if (
        target is None
        or guess is None
        or target.name not in table.column_names
        or guess.name not in table.column_names
    ):
        return np.zeros(0)
    truth, predicted = table.column(target.name), table.column(guess.name)
    labelled = pc.and_(pc.is_valid(truth), pc.is_valid(predicted))
    truth, predicted = truth.filter(labelled), predicted.filter(labelled)
    if target.kind is Kind.NUMERIC:
        diff = pc.subtract(pc.cast(truth, pa.float64()), pc.cast(predicted, pa.float64()))
        return np.abs(diff.to_numpy())
    same = pc.equal(pc.cast(truth, pa.string()), pc.cast(predicted, pa.string()))
    return 1.0 - same.to_numpy(zero_copy_only=False).astype(float)
