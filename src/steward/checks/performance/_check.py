"""Realised metrics of a profile, and performance findings against a reference."""

from __future__ import annotations

import math
from dataclasses import replace

from steward.checks.performance._base import REGISTRY, Metric, MetricSpec
from steward.checks.performance._classes import ClassView
from steward.checks.performance._policy import MetricRule, PerformancePolicy
from steward.checks.performance._regression import ErrorView
from steward.findings import Finding, Verdict
from steward.profile import Profile
from steward.profile.model import ModelProfile


def realised_metrics(
    profile: Profile, policy: PerformancePolicy | None = None
) -> dict[str, Metric]:
    """Every metric the profile's labelled rows support, in registry order.

    Empty when the profile has no model aggregates or no labelled row. Metrics whose inputs
    are missing (no scores, a constant target, one class only) are left out.
    """
    model = profile.model
    if model is None or model.labelled == 0:
        return {}
    policy = policy or PerformancePolicy()
    view = _view(model, policy)
    found = {}
    for spec in REGISTRY.values():
        if model.task in spec.tasks:
            value = spec.compute(view)
            if value is not None and math.isfinite(value.value):
                found[spec.name] = replace(value, coverage=model.coverage)
    return found


def _view(model: ModelProfile, policy: PerformancePolicy) -> ClassView | ErrorView:
    if model.classes is not None:
        return ClassView(
            model.classes, policy.confidence, policy.bootstrap, policy.seed, model.target
        )
    assert model.errors is not None
    return ErrorView(model.errors, policy.confidence)


def check_performance(
    reference: Profile,
    current: Profile,
    window: int | None = None,
    policy: PerformancePolicy | None = None,
) -> list[Finding]:
    """Performance findings of ``current`` against ``reference``.

    First ``performance.label_coverage`` (the share of labelled rows), then one
    ``performance.<metric>`` finding per realised metric: the value in ``statistic``, the
    band in ``lower``/``upper``, the reference's value in ``threshold``. The verdict is
    ``fail`` when the whole band is worse than the reference by more than the policy
    allows, ``warn`` when only the value is, ``ok`` otherwise. Without labels in
    ``current`` there is only the coverage finding. Without a target, no findings.
    """
    model = current.model
    if model is None:
        return []
    policy = policy or PerformancePolicy()
    found = [_coverage_finding(model, window)]
    if model.labelled == 0:
        return found
    baseline = realised_metrics(reference, policy)
    for name, value in realised_metrics(current, policy).items():
        rule = policy.rule(name)
        if rule.enabled:
            found.append(_finding(REGISTRY[name], value, baseline.get(name), rule, model, window))
    return found


def _coverage_finding(model: ModelProfile, window: int | None) -> Finding:
    return Finding(
        check="performance.label_coverage",
        column=model.target,
        statistic=model.coverage,
        verdict=Verdict.OK,
        window=window,
        message=f"{model.target}: {model.labelled} of {model.rows} rows labelled "
        f"({model.coverage:.1%})",
        details={"labelled": model.labelled, "unlabelled": model.unlabelled, "task": model.task},
    )


def _finding(
    spec: MetricSpec,
    value: Metric,
    baseline: Metric | None,
    rule: MetricRule,
    model: ModelProfile,
    window: int | None,
) -> Finding:
    reference = baseline.value if baseline is not None else None
    verdict, bar = _verdict(spec, value, reference, rule)
    return Finding(
        check=spec.check_name,
        column=model.target,
        statistic=value.value,
        verdict=verdict,
        threshold=reference,
        window=window,
        lower=value.lower,
        upper=value.upper,
        message=_message(spec, value, reference, verdict, bar),
        details={
            "label_coverage": value.coverage,
            "labelled": model.labelled,
            "n": value.n,
            "reference_value": reference,
            "higher_is_better": spec.higher_is_better,
            "task": model.task,
            "max_drop": rule.max_drop,
            "relative": rule.relative,
            "bar": bar,
            "band": value.method,
            **_exclusions(model),
        },
    )


def _verdict(
    spec: MetricSpec, value: Metric, reference: float | None, rule: MetricRule
) -> tuple[Verdict, float | None]:
    """Fail when the whole band is past the bar, warn when the value is, else ok."""
    if reference is None:
        return Verdict.OK, None
    sign = 1.0 if spec.higher_is_better else -1.0
    bar = reference - sign * rule.allowed(reference)
    best = value.upper if spec.higher_is_better else value.lower
    if _worse(best, bar, sign):
        return Verdict.FAIL, bar
    return (Verdict.WARN if _worse(value.value, bar, sign) else Verdict.OK), bar


def _worse(value: float, bar: float, sign: float) -> bool:
    return math.isfinite(value) and sign * (value - bar) < 0


def _message(
    spec: MetricSpec, value: Metric, reference: float | None, verdict: Verdict, bar: float | None
) -> str:
    text = f"{spec.name} {value.value:.4g} [{value.lower:.4g}, {value.upper:.4g}]"
    if reference is None:
        return f"{text}; the reference has no value to compare with"
    text += f" vs reference {reference:.4g}"
    if verdict is Verdict.OK:
        return text
    side = "below" if spec.higher_is_better else "above"
    which = "the whole band is" if verdict is Verdict.FAIL else "the value is"
    return f"{text}: {which} {side} the allowed {bar:.4g}"


def _exclusions(model: ModelProfile) -> dict[str, int]:
    """Rows left out of some metrics, for the report to explain smaller ``n``."""
    if model.classes is not None:
        c = model.classes
        return {
            "unpredicted": c.unpredicted,
            "unseen_labels": int(c.confusion[-1].sum()),
            "missing_scores": c.missing_scores,
            "invalid_scores": c.invalid_scores,
        }
    assert model.errors is not None
    return {"unpredicted": model.errors.unpredicted, "zero_targets": model.errors.zero_targets}
