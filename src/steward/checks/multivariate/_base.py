"""The multivariate-check descriptor, its registry, and what every check is handed.

A multivariate check is one function plus one :func:`register` call next to it. It sees
both profiles' reservoir samples, encoded by one :class:`FeatureEncoder` fitted on the
reference sample, and returns one dataset-level finding (``column`` is ``None``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from steward._registry import Registry
from steward.findings import Finding, Verdict

if TYPE_CHECKING:
    from steward.checks.multivariate._encoder import FeatureEncoder
    from steward.checks.multivariate._policy import MultivariatePolicy


@dataclass(frozen=True)
class Samples:
    """Encoded reservoir samples of both sides, and what produced them."""

    reference: np.ndarray  # FeatureEncoder.transform: standardised, one-hot
    current: np.ndarray
    reference_codes: np.ndarray  # FeatureEncoder.codes: one column per source column
    current_codes: np.ndarray
    encoder: FeatureEncoder
    reference_rows: int
    current_rows: int
    skipped: tuple[str, ...] = ()

    def counts(self) -> dict[str, Any]:
        """Sizes and columns, for every finding's details."""
        return {
            "reference_rows": self.reference_rows,
            "current_rows": self.current_rows,
            "reference_sample": len(self.reference),
            "current_sample": len(self.current),
            "columns": list(self.encoder.columns_),
            "encoded_features": self.reference.shape[1],
            "skipped_columns": list(self.skipped),
        }


@dataclass(frozen=True)
class MultivariateCheck:
    """A registered multivariate check: ``run(samples, policy) -> Finding``."""

    name: str
    run: Callable[[Samples, MultivariatePolicy], Finding]
    description: str = ""

    @property
    def check_name(self) -> str:
        return f"drift.{self.name}"


REGISTRY: Registry[MultivariateCheck] = Registry("multivariate check")


def register(check: MultivariateCheck) -> MultivariateCheck:
    return REGISTRY.register(check.name, check)


def get(name: str) -> MultivariateCheck:
    return REGISTRY.lookup(name)


@dataclass(frozen=True)
class Outcome:
    """What a check measured; :func:`verdict_finding` turns it into a finding."""

    check: str
    statistic: float
    p_value: float
    effect: float
    min_effect: float
    alpha: float
    summary: str
    details: dict[str, Any] = field(default_factory=dict)


def verdict(p_value: float, effect: float, min_effect: float, alpha: float) -> Verdict:
    """Fail when significant and relevant; warn when relevant only; else ok."""
    relevant = effect >= min_effect
    if relevant and p_value < alpha:
        return Verdict.FAIL
    return Verdict.WARN if relevant else Verdict.OK


def verdict_finding(outcome: Outcome) -> Finding:
    """The finding of a measured outcome, with the verdict's reasoning in the message."""
    o = outcome
    result = verdict(o.p_value, o.effect, o.min_effect, o.alpha)
    rule = (
        f"p={o.p_value:.3g} {'<' if o.p_value < o.alpha else '≥'} {o.alpha:g}, "
        f"effect {o.effect:.3g} {'≥' if o.effect >= o.min_effect else '<'} "
        f"{o.min_effect:g}"
    )
    lead = {Verdict.FAIL: "multivariate drift: ", Verdict.WARN: "large effect, not significant: "}
    return Finding(
        check=o.check,
        column=None,
        statistic=o.statistic,
        verdict=result,
        threshold=o.min_effect,
        p_value=o.p_value,
        effect_size=o.effect,
        message=f"{lead.get(result, '')}{o.summary} ({rule})",
        details={"alpha": o.alpha, **o.details},
    )


def unreliable(check: str, reason: str, details: dict[str, Any] | None = None) -> Finding:
    """A finding for a check that could not run meaningfully, with the reason."""
    return Finding(
        check=check,
        column=None,
        statistic=None,
        verdict=Verdict.UNRELIABLE,
        message=f"not tested: {reason}",
        details={"reason": reason, **(details or {})},
    )
