"""Why did it change: features ranked by how far they drifted × how much the model uses them.

For a window whose predictions or performance moved, each feature's drift effect (from the
default drift verdict: normed Wasserstein for numbers, Jensen–Shannon for categories) is
divided by the column's minimum relevant effect, so numeric and categorical drift share one
scale ("times its bar"), and multiplied by the feature's share of the model's importance:

* permutation importance of ``model`` on labelled reference rows, when a model is given and
  the reference has labels;
* else ``importance`` as supplied (given explicitly, it wins over the model);
* else a surrogate's importance: a gradient-boosted model fit to the logged score or
  prediction (``details["importance_note"]`` says so, with its held-out fit);
* else every feature weighs the same (``"uniform"``).

A domain classifier (reference rows against current rows) adds which features tell the
windows apart, as ``domain_importance`` on every driver and one ``segment.domain`` finding
with its held-out AUC. With the optional ``shap`` extra and a model, each driver also gets
its mean |SHAP| value per segment.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from steward._exceptions import CheckError
from steward.checks.drift_verdict import check_drift
from steward.checks.policy import DriftPolicy
from steward.checks.segments._importance import (
    Domain,
    Importance,
    domain_classifier,
    model_importance,
    supplied_importance,
    surrogate_importance,
    uniform_importance,
)
from steward.checks.segments._shap import shap_summary
from steward.findings import Finding, Verdict
from steward.io import to_arrow
from steward.profile import profile
from steward.schema import Column, Kind, Role, Schema

DRIVER = "segment.driver"
DOMAIN = "segment.domain"
MIN_SHARE = 0.05
MIN_AUC = 0.55
DRIVER_KINDS = (Kind.NUMERIC, Kind.CATEGORICAL, Kind.BOOLEAN)


@dataclass(frozen=True)
class Drift:
    """One feature's drift effect, the bar it is measured against, the test and verdict."""

    effect: float
    bar: float | None
    test: str
    verdict: Verdict

    @property
    def relevance(self) -> float:
        return self.effect / self.bar if self.bar else self.effect


NO_DRIFT = Drift(0.0, None, "none", Verdict.OK)


def explain_change(
    reference: pa.Table,
    current: pa.Table,
    schema: Schema,
    model: Any = None,
    importance: dict[str, float] | None = None,
    drift_findings: list[Finding] | None = None,
    *,
    policy: DriftPolicy | None = None,
    window: int | None = None,
    seed: int = 0,
    domain: bool = True,
) -> list[Finding]:
    """``segment.driver`` findings ranked by drift × importance, then ``segment.domain``.

    ``domain=False`` skips the domain classifier (a model fit, about a second).
    """
    reference, current = to_arrow(reference), to_arrow(current)
    columns = driver_columns(reference, current, schema)
    drift = drift_effects(reference, current, schema, drift_findings, policy)
    weights = feature_importance(reference, schema, columns, model, importance, seed)
    separated = domain_classifier(reference, current, columns, seed) if domain else None
    shap = shap_summary(model, current, schema, [c.name for c in columns], seed)
    ranked = sorted(columns, key=lambda c: -_score(drift.get(c.name, NO_DRIFT), weights, c))
    drivers = [
        _driver(c, rank, drift.get(c.name, NO_DRIFT), weights, separated, shap, window)
        for rank, c in enumerate(ranked, start=1)
    ]
    return drivers + ([_domain(separated, window)] if separated is not None else [])


def driver_columns(reference: pa.Table, current: pa.Table, schema: Schema) -> list[Column]:
    """Features of a kind the drift tests and tree models take, present on both sides."""
    columns = [
        c
        for c in schema.features()
        if c.kind in DRIVER_KINDS
        and c.name in reference.column_names
        and c.name in current.column_names
    ]
    if not columns:
        raise CheckError("no feature columns (numeric, categorical or boolean) on both sides")
    return columns


def drift_effects(
    reference: pa.Table,
    current: pa.Table,
    schema: Schema,
    findings: list[Finding] | None,
    policy: DriftPolicy | None,
) -> dict[str, Drift]:
    """Each column's drift, from the findings given or from a fresh drift check."""
    if findings is None:
        ref = profile(reference, schema)
        findings = check_drift(ref, profile(current, schema, reference=ref), policy)
    chosen: dict[str, Finding] = {}
    for finding in findings:
        name = finding.column
        usable = finding.family == "drift" and name and finding.effect_size is not None
        if usable and name and _later(finding, chosen.get(name)):
            chosen[name] = finding
    return {name: _drift(f) for name, f in chosen.items()}


def _later(finding: Finding, held: Finding | None) -> bool:
    """The whole-window finding wins; among windows, the latest."""
    if held is None:
        return True
    if held.window is None:
        return False
    return finding.window is None or finding.window > held.window


def _drift(finding: Finding) -> Drift:
    bar = finding.threshold if finding.details.get("mode") == "default" else None
    test = finding.details.get("effect_test") or finding.check.split(".", 1)[1]
    return Drift(float(finding.effect_size or 0.0), bar or None, str(test), finding.verdict)


def feature_importance(
    reference: pa.Table,
    schema: Schema,
    columns: list[Column],
    model: Any,
    importance: dict[str, float] | None,
    seed: int,
) -> Importance:
    """Supplied, else the model's permutation importance, else a surrogate's, else uniform."""
    if importance is not None:
        return supplied_importance(importance, columns)
    if model is not None and _has_labels(reference, schema):
        if not hasattr(model, "predict"):
            raise CheckError(f"model {type(model).__name__} has no predict method")
        return model_importance(reference, schema, columns, model, seed)
    surrogate = surrogate_importance(reference, schema, columns, seed)
    if surrogate is not None:
        return surrogate
    return uniform_importance(columns, "no model, importance or logged model output to use")


def _has_labels(reference: pa.Table, schema: Schema) -> bool:
    target = schema.first(Role.TARGET)
    return (
        target is not None
        and target.name in reference.column_names
        and reference.column(target.name).null_count < reference.num_rows
    )


def _score(drift: Drift, weights: Importance, column: Column) -> float:
    return drift.relevance * weights.shares.get(column.name, 0.0)


def _driver(
    column: Column,
    rank: int,
    drift: Drift,
    weights: Importance,
    domain: Domain | None,
    shap: dict[str, dict[str, float]] | None,
    window: int | None,
) -> Finding:
    share = weights.shares.get(column.name, 0.0)
    details: dict[str, Any] = {
        "rank": rank,
        "drift_effect": drift.effect,
        "drift_relevance": drift.relevance,
        "drift_test": drift.test,
        "drift_verdict": drift.verdict.value,
        "importance": share,
        "importance_raw": weights.raw.get(column.name, 0.0),
        "importance_source": weights.source,
        "importance_note": weights.note,
    }
    if domain is not None:
        details["domain_importance"] = domain.shares.get(column.name, 0.0)
    if shap is not None:
        details["shap"] = shap.get(column.name, {})
    verdict = _driver_verdict(drift, share)
    return Finding(
        check=DRIVER,
        column=column.name,
        statistic=drift.relevance * share,
        verdict=verdict,
        threshold=MIN_SHARE,
        effect_size=drift.effect,
        window=window,
        message=_driver_message(column.name, details),
        details=details,
    )


def _driver_verdict(drift: Drift, share: float) -> Verdict:
    """The feature's drift verdict, when the model leans on it at all (≥ 5% of importance)."""
    if share < MIN_SHARE or drift.verdict not in (Verdict.WARN, Verdict.FAIL):
        return Verdict.OK
    return drift.verdict


def _driver_message(name: str, d: dict[str, Any]) -> str:
    return (
        f"#{d['rank']} {name}: drift {d['drift_effect']:.3g} ({d['drift_test']}, "
        f"{d['drift_relevance']:.2g}× its bar, {d['drift_verdict']}) × importance "
        f"{d['importance']:.0%} ({d['importance_source']})"
    )


def _domain(domain: Domain, window: int | None) -> Finding:
    ranked = sorted(domain.shares.items(), key=lambda kv: -kv[1])
    separable = domain.auc >= MIN_AUC
    significant = domain.p_value <= 0.05
    verdict = (
        Verdict.FAIL if separable and significant else Verdict.WARN if separable else Verdict.OK
    )
    top = ", ".join(f"{name} {share:.0%}" for name, share in ranked[:3] if share > 0)
    message = f"a classifier tells current rows from reference rows with AUC {domain.auc:.3f}"
    return Finding(
        check=DOMAIN,
        column=None,
        statistic=domain.auc,
        verdict=verdict,
        threshold=MIN_AUC,
        p_value=domain.p_value,
        effect_size=domain.auc - 0.5,
        window=window,
        message=message + (f"; it uses {top} most" if top else ""),
        details={
            "auc": domain.auc,
            "rows": domain.rows,
            "features": [{"feature": n, "importance": s} for n, s in ranked],
            "model": "HistGradientBoostingClassifier, held-out 30%",
        },
    )
