"""The checks of one closed window, with the core's functions so numbers match ``compare``.

Drift, quality and multivariate drift read the window's stored profile against the version's
registered reference profile: the same calls :func:`steward.compare` makes per window.
The families that need rows read the window's logged rows with their labels joined:

- realised performance (``performance.*``) from the labelled rows, against the reference's
  own realised metrics (its rows scored by the version's model);
- label-free estimates (``estimate.*``, CBPE or DLE fitted on those reference rows) while
  fewer than the plan's ``monitor.min_rows`` rows of the window are labelled;
- outliers (``outlier.*``) of the window's rows against detectors fitted on the reference.

What is fitted on the reference (model outputs, estimator, detectors) is built once per
version by :class:`VersionContext` and reused for every window of a pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from steward._exceptions import StewardError
from steward.checks.drift_verdict import check_drift
from steward.checks.multivariate import check_multivariate
from steward.checks.performance import check_performance
from steward.checks.quality import check_quality, parse_expectation
from steward.findings import Finding, Verdict
from steward.monitor.window_profiles import OutputLayout, output_layout, window_reference
from steward.plan.schema import MaintenancePlan
from steward.profile import Profile, profile
from steward.registry.versions import ModelRegistry, ModelVersion
from steward.schema import Role, Schema

_MISSING: Any = object()


@dataclass
class VersionContext:
    """One version's reference, window layout and reference-fitted checks, built lazily."""

    registry: ModelRegistry
    version: ModelVersion
    reference: Profile
    layout: OutputLayout
    window_reference: Profile
    notes: list[Finding] = field(default_factory=list)
    _extended: Any = _MISSING
    _estimator: Any = _MISSING
    _detectors: Any = _MISSING

    @classmethod
    def build(cls, registry: ModelRegistry, version: ModelVersion) -> VersionContext:
        reference = registry.reference_profile(version.model, version.version)
        layout = output_layout(version.schema, version.classes, reference)
        return cls(registry, version, reference, layout, window_reference(reference, layout))

    def extended(self) -> tuple[pa.Table, Profile] | None:
        """The reference rows with the model's outputs, and their profile (layout schema)."""
        if self._extended is _MISSING:
            self._extended = self._noted("performance", self._build_extended)
        return self._extended

    def _build_extended(self) -> tuple[pa.Table, Profile]:
        name, number = self.version.model, self.version.version
        table = self.registry.reference_data(name, number)
        if not _has_outputs(table, self.layout):
            table = _with_outputs(table, self.layout, self.registry.load(name, number))
        table = table.select(self.layout.labelled.names)
        base = replace(self.window_reference, model=None)
        return table, profile(table, self.layout.labelled, reference=base)

    def estimator(self) -> Any:
        if self._estimator is _MISSING:
            self._estimator = self._noted("estimate", self._fit_estimator)
        return self._estimator

    def _fit_estimator(self) -> Any:
        from steward.checks.estimate import fit_estimator

        extended = self.extended()
        return None if extended is None else fit_estimator(extended[0], self.layout.labelled)

    def detectors(self) -> list[Any]:
        if self._detectors is _MISSING:
            self._detectors = self._noted("outlier", self._fit_detectors) or []
        return self._detectors

    def _fit_detectors(self) -> list[Any]:
        from steward.checks.outliers import fit_detectors

        schema = self.version.schema
        if not schema.features():
            return []
        name, number = self.version.model, self.version.version
        return fit_detectors(self.registry.reference_data(name, number), schema)

    def _noted(self, family: str, build: Any) -> Any:
        """Build something reference-fitted; a Steward error becomes one note, not a crash."""
        try:
            return build()
        except StewardError as exc:
            self.notes.append(_note(family, f"not run: {exc}"))
            return None


def _has_outputs(table: pa.Table, layout: OutputLayout) -> bool:
    return all(name in table.column_names for name in (layout.prediction, *layout.scores))


def _with_outputs(table: pa.Table, layout: OutputLayout, model: Any) -> pa.Table:
    """``table`` plus the model's prediction and score columns, named as in ``layout``."""
    answer = model.predict(table)
    column = layout.labelled[layout.prediction]
    predicted = _typed(np.asarray(answer.predictions).tolist(), column.dtype)
    table = _put(table, layout.prediction, predicted)
    scores = answer.scores
    for name, at in zip(layout.scores, layout.score_index, strict=True):
        values = scores[:, at] if scores is not None and at < scores.shape[1] else None
        array = pa.array(values, type=pa.float64()) if values is not None else pa.nulls(len(table))
        table = _put(table, name, array.cast(pa.float64()))
    return table


def _typed(values: list[Any], dtype: str) -> pa.Array:
    try:
        return pa.array(values, type=pa.type_for_alias(dtype))
    except (ValueError, pa.ArrowInvalid, pa.ArrowTypeError):
        return pa.array(values)


def _put(table: pa.Table, name: str, array: pa.Array) -> pa.Table:
    if name in table.column_names:
        return table.set_column(table.column_names.index(name), name, array)
    return table.append_column(name, array)


# --- one window ------------------------------------------------------------------------


@dataclass(frozen=True)
class WindowData:
    """What one check reads: the stored profile, the rows with labels, the window's place."""

    profile: Profile
    rows: pa.Table  # the layout's labelled schema; the target is null where unlabelled
    index: int
    labelled: int


def check_window(ctx: VersionContext, plan: MaintenancePlan, data: WindowData) -> list[Finding]:
    """Every finding of one closed window, in report order."""
    checks = plan.checks
    expectations = [parse_expectation(text) for text in checks.expectations]
    found = check_drift(ctx.reference, data.profile, checks.drift, data.index)
    quality = check_quality(
        ctx.reference, data.profile, policy=checks.quality, expectations=expectations
    )
    found += [f.with_window(data.index) for f in quality if f.verdict is not Verdict.OK]
    found += _guard("drift", lambda: check_multivariate(ctx.reference, data.profile, data.index))
    found += _guard("performance", lambda: _performance(ctx, data))
    if data.labelled < plan.monitor.min_rows:
        found += _estimates(ctx, data)
    found += _outliers(ctx, data)
    found += [f.with_window(data.index) for f in ctx.notes]
    return _small_window(found, data, plan.monitor.min_rows)


def _performance(ctx: VersionContext, data: WindowData) -> list[Finding]:
    """Realised metrics of the labelled rows against the reference's, as ``compare`` does."""
    target = ctx.layout.target
    if target is None:
        return []
    extended = ctx.extended()
    base = extended[1] if extended is not None else replace(ctx.window_reference, model=None)
    names = [c for c in ctx.layout.labelled if c.role in (Role.TARGET, Role.PREDICTION, Role.SCORE)]
    schema = Schema(columns=tuple(names))
    labelled = profile(data.rows.select(schema.names), schema, reference=base)
    baseline = base if extended is not None else ctx.reference
    return check_performance(baseline, labelled, data.index)


def _estimates(ctx: VersionContext, data: WindowData) -> list[Finding]:
    estimator = ctx.estimator()
    if estimator is None or data.rows.num_rows == 0:
        return []
    return _guard("estimate", lambda: estimator.estimate(data.rows, data.index))


def _outliers(ctx: VersionContext, data: WindowData) -> list[Finding]:
    from steward.checks.outliers import check_outliers

    detectors = ctx.detectors()
    if not detectors or data.rows.num_rows == 0:
        return []
    return _guard("outlier", lambda: check_outliers(detectors, data.rows, data.index))


def _small_window(found: list[Finding], data: WindowData, min_rows: int) -> list[Finding]:
    """Below ``min_rows``, warn/fail verdicts become ``unreliable`` and one finding says why."""
    rows = data.profile.rows
    if rows >= min_rows:
        return found
    reason = f"the window has {rows} rows, fewer than the plan's min_rows {min_rows}"
    kept = [_unreliable(f, reason) if f.failed else f for f in found]
    note = Finding(
        check="window.min_rows",
        column=None,
        statistic=float(rows),
        verdict=Verdict.UNRELIABLE,
        threshold=float(min_rows),
        window=data.index,
        message=reason,
        details={"reason": reason, "rows": rows, "min_rows": min_rows},
    )
    return [note, *kept]


def _unreliable(finding: Finding, reason: str) -> Finding:
    details = {**finding.details, "reason": reason, "verdict_before": finding.verdict.value}
    return replace(finding, verdict=Verdict.UNRELIABLE, details=details)


def shadow_agreement(
    shadow: list[Any], champion: list[Any], classifier: bool, index: int
) -> list[Finding]:
    """How often a shadow's outputs match the served ones on the same rows (paired by
    request and row): the share of equal labels, or the mean absolute difference."""
    if not shadow:
        return []
    a, b = pa.array(shadow), pa.array(champion)
    if classifier:
        same = pc.equal(pc.cast(a, pa.string()), pc.cast(b, pa.string()))
        value, check = float(np.mean(same.to_numpy(zero_copy_only=False))), "shadow.agreement"
        text = f"{value:.1%} of {len(shadow)} paired rows predicted the same as the served model"
    else:
        diff = np.abs(np.asarray(shadow, dtype=float) - np.asarray(champion, dtype=float))
        value, check = float(np.nanmean(diff)), "shadow.mean_abs_difference"
        text = f"mean |shadow - served| {value:.4g} over {len(shadow)} paired rows"
    return [
        Finding(
            check=check,
            column=None,
            statistic=value,
            verdict=Verdict.OK,
            window=index,
            message=text,
            details={"paired_rows": len(shadow)},
        )
    ]


def _guard(family: str, run: Any) -> list[Finding]:
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
