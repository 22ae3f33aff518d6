"""From an estimate and what is known about its window to a :class:`Finding`.

The verdict order: ``unreliable`` (with the reasons) when the window is outside the
reference's support, when the estimate disagrees with the realised metric on the window's
labelled rows, when labels carry classes the reference never had, or when the metric is
undefined; otherwise ``fail``/``warn``/``ok`` against the reference's realised value (see
:class:`EstimatePolicy`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from steward.checks.estimate._metrics import Metric
from steward.checks.estimate._policy import EstimatePolicy
from steward.checks.estimate._support import SupportCheck
from steward.findings import Finding, Verdict


@dataclass(frozen=True)
class Estimate:
    """One metric's estimate on one window and its band."""

    metric: Metric
    value: float
    lower: float
    upper: float


@dataclass(frozen=True)
class Labelled:
    """The estimate and the realised metrics on exactly the window's labelled rows.

    ``p_value`` says how surprising the realised values are if the estimate were right,
    for all metrics at once (NaN when not tested: too few labelled rows).
    """

    rows: int
    estimate: dict[str, float]
    realised: dict[str, float]
    p_value: float = float("nan")

    def disagreeing(self, metrics: list[Metric], policy: EstimatePolicy) -> list[Metric]:
        """The metrics whose gap is significant (jointly) and relevant (each)."""
        tested = self.rows >= policy.min_labelled and math.isfinite(self.p_value)
        if not tested or self.p_value >= policy.disagreement_alpha:
            return []
        return [m for m in metrics if self._gap(m) >= _tolerance(m, self.estimate[m.name], policy)]

    def _gap(self, metric: Metric) -> float:
        gap = abs(self.realised[metric.name] - self.estimate[metric.name])
        return gap if math.isfinite(gap) else 0.0

    def reason(self, metric: Metric, own: bool) -> str:
        which = "" if own else f" for {metric.name}"
        return (
            f"estimate disagrees with realised on {self.rows} labelled rows "
            f"(est {self.estimate[metric.name]:.3g} vs real "
            f"{self.realised[metric.name]:.3g}{which}, p={self.p_value:.2g}): "
            "concept shift suspected"
        )


def _tolerance(metric: Metric, estimate: float, policy: EstimatePolicy) -> float:
    if metric.bounded:
        return policy.min_disagreement
    return policy.min_relative_disagreement * abs(estimate)


@dataclass(frozen=True)
class WindowFacts:
    """What the verdict needs to know about the window besides the estimates."""

    method: str
    target: str
    window: int | None
    rows: int
    coverage: float
    support: SupportCheck
    labelled: Labelled | None = None
    notes: tuple[str, ...] = ()


def findings(
    estimates: list[Estimate],
    facts: WindowFacts,
    reference: dict[str, float],
    policy: EstimatePolicy,
) -> list[Finding]:
    """One finding per estimate, in the order given."""
    metrics = [e.metric for e in estimates]
    disagreeing = facts.labelled.disagreeing(metrics, policy) if facts.labelled else []
    return [_finding(e, facts, reference[e.metric.name], disagreeing, policy) for e in estimates]


def _finding(
    estimate: Estimate,
    facts: WindowFacts,
    reference: float,
    disagreeing: list[Metric],
    policy: EstimatePolicy,
) -> Finding:
    metric = estimate.metric
    limit = _limit(metric, reference, policy)
    reasons = _reasons(estimate, facts, disagreeing)
    verdict = Verdict.UNRELIABLE if reasons else _verdict(estimate, limit)
    return Finding(
        check=metric.check_name,
        column=facts.target,
        statistic=estimate.value,
        verdict=verdict,
        threshold=reference,
        window=facts.window,
        message=_message(estimate, facts, reference, limit, verdict, reasons),
        details=_details(estimate, facts, reference, limit, reasons),
        lower=estimate.lower,
        upper=estimate.upper,
    )


def _reasons(estimate: Estimate, facts: WindowFacts, disagreeing: list[Metric]) -> list[str]:
    """Why this estimate cannot be trusted (empty when it can)."""
    reasons = [facts.support.reason()] if facts.support.violated else []
    if disagreeing and facts.labelled is not None:
        own = estimate.metric in disagreeing
        reasons.append(facts.labelled.reason(estimate.metric if own else disagreeing[0], own))
    reasons += facts.notes
    if not math.isfinite(estimate.value):
        reasons.append(f"{estimate.metric.name} is undefined on this window ({facts.rows} row(s))")
    return reasons


def _limit(metric: Metric, reference: float, policy: EstimatePolicy) -> float:
    change = policy.allowed_drop if metric.bounded else policy.allowed_rise * abs(reference)
    return reference - change if metric.higher_is_better else reference + change


def _verdict(estimate: Estimate, limit: float) -> Verdict:
    if not math.isfinite(limit):
        return Verdict.OK
    sign = 1.0 if estimate.metric.higher_is_better else -1.0
    past = sign * (estimate.value - limit) < 0
    far_end = estimate.upper if estimate.metric.higher_is_better else estimate.lower
    confident = sign * (far_end - limit) < 0
    if past and confident:
        return Verdict.FAIL
    return Verdict.WARN if past else Verdict.OK


def _details(
    estimate: Estimate, facts: WindowFacts, reference: float, limit: float, reasons: list[str]
) -> dict[str, Any]:
    details: dict[str, Any] = {
        "label_coverage": facts.coverage,
        "method": facts.method,
        "reference_value": reference,
        "limit": limit,
        "rows": facts.rows,
        "out_of_support": facts.support.share,
    }
    labelled = facts.labelled
    if labelled is not None:
        details["labelled_rows"] = labelled.rows
        details["realised_on_labelled"] = labelled.realised[estimate.metric.name]
        details["estimate_on_labelled"] = labelled.estimate[estimate.metric.name]
        if math.isfinite(labelled.p_value):
            details["disagreement_p_value"] = labelled.p_value
    if facts.support.violated:
        details["out_of_support_columns"] = {
            k: v for k, v in facts.support.columns.items() if v > 0
        }
    if reasons:
        details["reason"] = "; ".join(reasons)
    return details


def _message(
    estimate: Estimate,
    facts: WindowFacts,
    reference: float,
    limit: float,
    verdict: Verdict,
    reasons: list[str],
) -> str:
    name = estimate.metric.name
    text = (
        f"{name} estimated {estimate.value:.4g} [{estimate.lower:.4g}, "
        f"{estimate.upper:.4g}] on {facts.rows} rows vs reference {reference:.4g} "
        f"(limit {limit:.4g})"
    )
    return f"{text}: unreliable, {'; '.join(reasons)}" if reasons else f"{text}: {verdict.value}"
