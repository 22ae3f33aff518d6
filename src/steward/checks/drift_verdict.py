"""The default drift verdict: significance at this window's size, relevance, and FDR control.

For every drift-tested column of one window:

1. **significance** — the p-value of the column's test: exact or asymptotic where the test
   has one (KS, chi-square, z-test), otherwise from the test statistic's null distribution
   at this window's size, drawn by resampling the reference's binned distribution;
2. **relevance** — an effect size (normed Wasserstein, Jensen–Shannon) at or above the
   column's minimum;
3. the p-values of the window's columns pass through Benjamini–Hochberg.

A column with a forced test and threshold skips all three and uses the threshold alone.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np
from scipy import stats

from steward._exceptions import CheckError
from steward.checks.drift import DriftTest, Pair, TestResult, get
from steward.checks.drift._base import proportions
from steward.checks.policy import ColumnPolicy, DriftPolicy
from steward.findings import Finding, Verdict
from steward.profile import Profile
from steward.schema import Column, Kind, Role

TESTED_KINDS = (Kind.NUMERIC, Kind.CATEGORICAL, Kind.BOOLEAN, Kind.TEXT)
TESTED_ROLES = (Role.FEATURE, Role.TARGET, Role.PREDICTION, Role.SCORE, Role.SEGMENT)
MIN_EXPECTED = 5.0


@dataclass
class _Evaluation:
    column: Column
    rule: ColumnPolicy
    test: DriftTest
    result: TestResult
    p_value: float | None
    effect_name: str | None
    effect: float | None


def drift_columns(reference: Profile, current: Profile) -> list[Column]:
    """The columns a drift report tests: features and model outputs of testable kinds."""
    return [
        c
        for c in reference.schema
        if c.kind in TESTED_KINDS and c.role in TESTED_ROLES and c.name in current.columns
    ]


def check_drift(
    reference: Profile,
    current: Profile,
    policy: DriftPolicy | None = None,
    window: int | None = None,
) -> list[Finding]:
    """One drift finding per tested column of ``current`` against ``reference``."""
    policy = policy or DriftPolicy()
    evaluations: list[_Evaluation] = []
    findings: list[Finding] = []
    for column in drift_columns(reference, current):
        rule = policy.for_column(column.name, column.kind)
        if not rule.enabled:
            continue
        pair = _pair(reference, current, column, rule)
        try:
            evaluations.append(_evaluate(pair, column, rule, policy))
        except CheckError as exc:
            findings.append(_untestable(column, rule, str(exc), window))
    q_values = _benjamini_hochberg([e for e in evaluations if _calibrated(e.rule)])
    for evaluation in evaluations:
        findings.append(_finding(evaluation, q_values.get(evaluation.column.name), policy, window))
    order = {c.name: i for i, c in enumerate(reference.schema)}
    return sorted(findings, key=lambda f: order.get(f.column or "", 0))


def _pair(reference: Profile, current: Profile, column: Column, rule: ColumnPolicy) -> Pair:
    """The column's two profiles; the row samples only for a test that reads them."""
    name = column.name
    ref, cur = reference.columns[name], current.columns[name]
    tests = [get(t) for t in (rule.test, rule.effect) if t is not None]
    if column.kind is Kind.NUMERIC and any(t.uses == "sample" for t in tests):
        samples = reference.reservoir.numeric(name), current.reservoir.numeric(name)
        return Pair.of(name, column.kind, ref, cur, *samples)
    return Pair.of(name, column.kind, ref, cur)


def _calibrated(rule: ColumnPolicy) -> bool:
    return rule.threshold is None


def _evaluate(pair: Pair, column: Column, rule: ColumnPolicy, policy: DriftPolicy) -> _Evaluation:
    test = get(_significance_test(pair, rule))
    _require_kind(test, column)
    result = test.run(pair)
    if not _calibrated(rule):
        return _Evaluation(column, rule, test, result, result.p_value, None, result.effect_size)
    p_value = result.p_value
    if p_value is None:
        p_value = calibrated_p_value(pair, test, result.statistic, policy)
    effect_name = rule.effect or test.name
    effect = result.effect_size if effect_name == test.name else None
    if effect is None:
        effect_test = get(effect_name)
        _require_kind(effect_test, column)
        effect = effect_test.run(pair).statistic
    return _Evaluation(column, rule, test, result, p_value, effect_name, effect)


def _require_kind(test: DriftTest, column: Column) -> None:
    if column.kind not in test.kinds:
        kinds = sorted(k.value for k in test.kinds)
        raise CheckError(
            f"column {column.name!r} is {column.kind.value}; drift test {test.name!r} takes {kinds}"
        )


def _significance_test(pair: Pair, rule: ColumnPolicy) -> str:
    """The rule's test, or a calibrated distance when chi-square's counts are too small."""
    name = rule.test or "ks"
    if name == "chi_square" and _calibrated(rule) and not pair.numeric:
        ref, cur = pair.fine
        expected = proportions(ref) * cur.sum()
        if cur.sum() and expected[ref > 0].min() < MIN_EXPECTED:
            return "jensen_shannon"
    return name


def calibrated_p_value(pair: Pair, test: DriftTest, observed: float, policy: DriftPolicy) -> float:
    """P-value from the statistic's null distribution at this window's size.

    Windows of the current size are drawn from the reference's binned distribution
    (multinomial resampling), the statistic is computed for each in one vectorised call,
    and the p-value is the share at least as extreme, with the +1 correction.
    """
    if test.null_statistic is None:
        raise CheckError(f"drift test {test.name!r} has neither a p-value nor a null model")
    ref, cur = pair.fine
    size = int(cur.sum())
    seed = zlib.crc32(pair.column.encode()) ^ policy.seed
    rng = np.random.default_rng(seed)
    simulated = rng.multinomial(size, proportions(ref), size=policy.calibration_samples)
    null = test.null_statistic(pair, simulated.astype(float))
    extreme = np.count_nonzero(null >= observed - 1e-12)
    return float((1 + extreme) / (1 + len(null)))


def _benjamini_hochberg(evaluations: list[_Evaluation]) -> dict[str, float]:
    named = [(e.column.name, e.p_value) for e in evaluations if e.p_value is not None]
    if not named:
        return {}
    p_values = np.clip(np.array([p for _, p in named], dtype=float), 0.0, 1.0)
    adjusted = stats.false_discovery_control(p_values, method="bh")
    return {name: float(q) for (name, _), q in zip(named, adjusted, strict=False)}


def _finding(
    e: _Evaluation, q_value: float | None, policy: DriftPolicy, window: int | None
) -> Finding:
    if _calibrated(e.rule):
        return _default_finding(e, q_value, policy, window)
    return _forced_finding(e, window)


def _default_finding(
    e: _Evaluation, q_value: float | None, policy: DriftPolicy, window: int | None
) -> Finding:
    minimum = e.rule.min_effect if e.rule.min_effect is not None else 0.0
    significant = q_value is not None and q_value <= policy.fdr
    relevant = e.effect is not None and e.effect >= minimum
    verdict = (
        Verdict.FAIL if significant and relevant else (Verdict.WARN if relevant else Verdict.OK)
    )
    name = e.column.name
    message = (
        f"{name}: {e.test.name} p={_fmt(e.p_value)} (q={_fmt(q_value)}), "
        f"{e.effect_name} {_fmt(e.effect)} {'≥' if relevant else '<'} {minimum:g}"
    )
    if verdict is Verdict.FAIL:
        message = f"{name} drifted: " + message.split(": ", 1)[1]
    elif verdict is Verdict.WARN:
        message += " (large effect, not significant at this window's size)"
    return Finding(
        check=e.test.check_name,
        column=name,
        statistic=e.result.statistic,
        verdict=verdict,
        threshold=minimum,
        p_value=e.p_value,
        effect_size=e.effect,
        window=window,
        message=message,
        details={
            "mode": "default",
            "q_value": q_value,
            "alpha": policy.fdr,
            "effect_test": e.effect_name,
            "kind": e.column.kind.value,
            "role": e.column.role.value,
            "p_value_source": _source(e),
        },
    )


def _source(e: _Evaluation) -> str:
    return "test" if e.result.p_value is not None else "calibrated"


def _forced_finding(e: _Evaluation, window: int | None) -> Finding:
    threshold = float(e.rule.threshold)  # type: ignore[arg-type]
    if e.test.threshold_on == "p_value":
        value = e.result.p_value if e.result.p_value is not None else 1.0
        drifted = value < threshold
        rule = f"p={_fmt(value)} {'<' if drifted else '≥'} {threshold:g}"
    else:
        drifted = e.result.statistic >= threshold
        rule = f"{e.test.name}={_fmt(e.result.statistic)} {'≥' if drifted else '<'} {threshold:g}"
    name = e.column.name
    return Finding(
        check=e.test.check_name,
        column=name,
        statistic=e.result.statistic,
        verdict=Verdict.FAIL if drifted else Verdict.OK,
        threshold=threshold,
        p_value=e.result.p_value,
        effect_size=e.result.effect_size,
        window=window,
        message=f"{name}{' drifted' if drifted else ''}: {rule} (forced test)",
        details={
            "mode": "forced",
            "threshold_on": e.test.threshold_on,
            "kind": e.column.kind.value,
            "role": e.column.role.value,
        },
    )


def _untestable(column: Column, rule: ColumnPolicy, reason: str, window: int | None) -> Finding:
    return Finding(
        check=f"drift.{rule.test or 'ks'}",
        column=column.name,
        statistic=None,
        verdict=Verdict.UNRELIABLE,
        window=window,
        message=f"not tested: {reason}",
        details={
            "mode": "untestable",
            "reason": reason,
            "kind": column.kind.value,
            "role": column.role.value,
        },
    )


def _fmt(value: float | None) -> str:
    if value is None or not np.isfinite(value):
        return "n/a"
    return f"{value:.3g}"
