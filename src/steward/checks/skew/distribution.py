"""Distribution skew: serving vs training distributions, judged like drift with stricter bars."""

from __future__ import annotations

from dataclasses import replace

from steward.checks.drift_verdict import check_drift
from steward.checks.policy import ColumnPolicy, DriftPolicy
from steward.findings import Finding
from steward.profile import Profile

SKEW_POLICY = DriftPolicy(
    numeric=ColumnPolicy(test="ks", effect="wasserstein", min_effect=0.05),
    text=ColumnPolicy(test="ks", effect="wasserstein", min_effect=0.05),
    categorical=ColumnPolicy(test="chi_square", effect="jensen_shannon", min_effect=0.025),
    boolean=ColumnPolicy(test="z_test", effect="jensen_shannon", min_effect=0.025),
)
"""The drift policy for skew: half the drift relevance bars (same pipeline, same period)."""


def check_distribution_skew(
    training: Profile, serving: Profile, policy: DriftPolicy | None = None
) -> list[Finding]:
    """Per-column drift of serving data against training data, named ``skew.<test>``.

    The verdict is the drift verdict (significance after FDR control and relevance) under
    :data:`SKEW_POLICY` unless ``policy`` is given: serving data should match the training
    data more closely than a later production window matches its reference.
    """
    return [_as_skew(f) for f in check_drift(training, serving, policy or SKEW_POLICY)]


def _as_skew(finding: Finding) -> Finding:
    test = finding.check.split(".", 1)[1]
    message = finding.message.replace(" drifted:", " skewed:", 1)
    details = {**finding.details, "compared": "serving vs training"}
    return replace(finding, check=f"skew.{test}", message=message, details=details)
