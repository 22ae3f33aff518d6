"""Paired comparisons of two models on the same rows: the statistics of the promotion gate.

Both models answered the *same* rows (shadow traffic or a labelled backtest), so the tests
are paired, which removes the row-to-row noise that two independent samples would carry:

- :func:`mcnemar` — two classifiers' per-row correctness; exact binomial on the discordant
  pairs when there are fewer than :data:`EXACT_BELOW`, else chi-square with continuity
  correction (as statsmodels' ``mcnemar``);
- :func:`paired_bootstrap` — any metric; resamples rows (pairs stay together) and reads the
  one-sided p-value and the confidence interval off the bootstrap distribution;
- :func:`paired_t_on_errors` — the paired t-test on per-row errors (regressors), with the
  Wilcoxon signed-rank test as a distribution-free check.

Every p-value is one-sided. ``p_value`` tests H0: *improvement ≤ margin* against "the
challenger (b) is better than the champion (a) by more than ``margin``"; ``p_value_worse``
tests H0: *improvement ≥ 0* against "b is worse". *Improvement* is in the metric's units
and positive when b is better, whichever way the metric points.

:func:`decide` turns one comparison into a :class:`GateDecision` under a plan's
:class:`~steward.plan.schema.Gate`. McNemar tests "better", not "better by a margin", so with
``margin > 0`` a ``mcnemar`` or ``auto`` gate on accuracy uses the paired bootstrap of the
accuracy difference instead (the decision records the method used). The metrics it can
compare are registered in :mod:`steward.checks.gate_metrics`.

>>> import numpy as np
>>> a = np.array([True] * 50 + [False] * 50)
>>> b = np.array([True] * 50 + [True] * 9 + [False] * 41)
>>> r = mcnemar(a, b)
>>> r.method, r.details["discordant"], round(r.p_value, 5)
('mcnemar-exact', [0, 9], 0.00195)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from steward._exceptions import CheckError
from steward.checks.gate_metrics import METRICS, GateMetric, default_metric
from steward.checks.paired_stats import (
    EXACT_BELOW as EXACT_BELOW,
)
from steward.checks.paired_stats import (
    N_BOOT,
    Array,
    PairedResult,
    bootstrap_result,
    mcnemar,
    mean_draws,
    paired_bootstrap,
    paired_t_on_errors,
    same_length,
)
from steward.checks.paired_stats import (
    MetricFn as MetricFn,
)
from steward.plan.schema import Gate

__all__ = [
    "METRICS",
    "GateDecision",
    "GateMetric",
    "PairedResult",
    "decide",
    "default_metric",
    "mcnemar",
    "paired_bootstrap",
    "paired_t_on_errors",
]

Scores = Array | None


Classes = list[Any] | None


Side = tuple[Array, Scores]  # one model's answers and scores


@dataclass(frozen=True)
class GateDecision:
    """What the gate concluded for one challenger, with the evidence behind it.

    ``decision`` is ``promote`` (better by the margin, significant), ``retire``
    (significantly worse and the plan retires rejected challengers), ``keep`` (not better
    yet, or worse but kept) or ``insufficient`` (fewer paired rows than ``min_samples``).
    """

    decision: str
    reason: str
    metric: str
    method: str | None
    statistic: float | None
    p_value: float | None
    p_value_worse: float | None
    n: int
    champion_value: float | None
    challenger_value: float | None
    delta: float | None  # challenger − champion, in metric units
    improvement: float | None  # delta signed so that positive means better
    margin: float
    alpha: float
    min_samples: int
    worse: bool = False
    ci: tuple[float, float] | None = None
    details: dict[str, Any] = field(default_factory=dict)
    champion_version: int | None = None
    challenger_version: int | None = None

    def evidence(self) -> dict[str, Any]:
        """A JSON-ready dict for the audit log and job details."""
        data = asdict(self)
        data["ci"] = list(self.ci) if self.ci is not None else None
        data["metrics"] = {"champion": self.champion_value, "challenger": self.challenger_value}
        data["deltas"] = {"delta": self.delta, "improvement": self.improvement}
        return _plain(data)


def decide(
    task: str,
    metric: str | None,
    y: Sequence[Any] | Array,
    champion_pred: Sequence[Any] | Array,
    challenger_pred: Sequence[Any] | Array,
    champion_scores: Array | None = None,
    challenger_scores: Array | None = None,
    gate: Gate | None = None,
    *,
    classes: list[Any] | None = None,
    n_boot: int = N_BOOT,
    seed: int = 0,
) -> GateDecision:
    """Compare challenger with champion on the same labelled rows under ``gate``."""
    gate = gate or Gate()
    spec = _spec(task, metric or gate.metric or default_metric(task))
    y, a, b, sa, sb = _paired_arrays(
        spec, y, champion_pred, challenger_pred, champion_scores, challenger_scores
    )
    base = _base(spec, gate, len(y))
    if len(y) < gate.min_samples:
        reason = f"{len(y)} paired labelled rows, the gate needs {gate.min_samples}"
        return GateDecision(decision="insufficient", reason=reason, **base)
    value_a = spec.value(y, a, sa, classes)
    value_b = spec.value(y, b, sb, classes)
    result = _test(spec, gate, y, (a, sa), (b, sb), classes, n_boot, seed)
    return _conclude(spec, gate, result, value_a, value_b, base)


def _spec(task: str, name: str) -> GateMetric:
    spec = METRICS.lookup(name)
    if spec.task != task:
        raise CheckError(f"gate metric {name!r} is for {spec.task}, the model does {task}")
    return spec


def _paired_arrays(
    spec: GateMetric, y: Any, a: Any, b: Any, sa: Any, sb: Any
) -> tuple[Array, Array, Array, Scores, Scores]:
    """Aligned arrays without the rows where the label or either answer is missing."""
    y, a, b = np.asarray(y), np.asarray(a), np.asarray(b)
    same_length(y, a, b)
    if spec.needs_scores and (sa is None or sb is None):
        raise CheckError(f"gate metric {spec.name!r} needs both models' scores")
    sa = None if sa is None else np.asarray(sa, dtype=float)
    sb = None if sb is None else np.asarray(sb, dtype=float)
    keep = _present(y) & _present(a) & _present(b)
    if spec.task == "regression":
        y, a, b = y.astype(float), a.astype(float), b.astype(float)
    return y[keep], a[keep], b[keep], _rows(sa, keep), _rows(sb, keep)


def _present(values: Array) -> Array:
    if values.dtype.kind == "f":
        return np.isfinite(values)
    return np.array([v is not None and v == v for v in values], dtype=bool)


def _rows(scores: Array | None, keep: Array) -> Array | None:
    return None if scores is None else scores[keep]


def _test(
    spec: GateMetric,
    gate: Gate,
    y: Array,
    champion: Side,
    challenger: Side,
    classes: Classes,
    n_boot: int,
    seed: int,
) -> PairedResult:
    (a, sa), (b, sb) = champion, challenger
    method = _method(spec, gate)
    if method == "mcnemar":
        return mcnemar(a == y, b == y)
    if method == "paired_t":
        sign = -1.0 if spec.higher_is_better else 1.0  # rows → errors (lower is better)
        err_a, err_b = sign * spec.rows(y, a, sa, classes), sign * spec.rows(y, b, sb, classes)
        return paired_t_on_errors(err_a, err_b, margin=gate.margin)
    return _bootstrap(spec, gate, y, (a, sa), (b, sb), classes, n_boot, seed)


def _method(spec: GateMetric, gate: Gate) -> str:
    """Which paired test answers this gate (see the module docstring for ``auto``)."""
    correctness = spec.name in ("accuracy", "error_rate")
    if gate.test == "mcnemar" and not correctness:
        raise CheckError(f"McNemar compares correctness; metric {spec.name!r} needs bootstrap")
    if gate.test == "paired_t" and spec.rows is None:
        raise CheckError(f"metric {spec.name!r} is not a mean of per-row errors; use bootstrap")
    if gate.test in ("mcnemar", "auto") and correctness:
        return "mcnemar" if gate.margin == 0 else "bootstrap"
    if gate.test == "auto":
        return "paired_t" if spec.task == "regression" and spec.rows is not None else "bootstrap"
    return gate.test


def _bootstrap(
    spec: GateMetric,
    gate: Gate,
    y: Array,
    champion: Side,
    challenger: Side,
    classes: Classes,
    n_boot: int,
    seed: int,
) -> PairedResult:
    (a, sa), (b, sb) = champion, challenger
    if spec.rows is not None:  # a mean of rows: resample the row differences directly
        diff = spec.rows(y, b, sb, classes) - spec.rows(y, a, sa, classes)
        sign = 1.0 if spec.higher_is_better else -1.0
        draws = mean_draws(diff, n_boot, seed) * sign
        return bootstrap_result(float(diff.mean()) * sign, draws, len(y), gate.margin, 0.95)
    both_a = _stack(a, sa)
    both_b = _stack(b, sb)

    def fn(yy: Array, packed: Array) -> float:
        return spec.value(yy, packed[:, 0], packed[:, 1:] if packed.shape[1] > 1 else None, classes)

    return paired_bootstrap(
        fn,
        y,
        both_a,
        both_b,
        n_boot,
        seed,
        higher_is_better=spec.higher_is_better,
        margin=gate.margin,
    )


def _stack(pred: Array, scores: Array | None) -> Array:
    column = pred.reshape(-1, 1).astype(object)
    return column if scores is None else np.hstack([column, scores.astype(object)])


def _with_margin(result: PairedResult, margin: float) -> PairedResult:
    return (
        result if result.margin == margin else PairedResult(**{**asdict(result), "margin": margin})
    )


def _base(spec: GateMetric, gate: Gate, n: int) -> dict[str, Any]:
    return dict(
        metric=spec.name,
        method=None,
        statistic=None,
        p_value=None,
        p_value_worse=None,
        n=n,
        champion_value=None,
        challenger_value=None,
        delta=None,
        improvement=None,
        margin=gate.margin,
        alpha=gate.alpha,
        min_samples=gate.min_samples,
    )


def _conclude(
    spec: GateMetric,
    gate: Gate,
    result: PairedResult,
    value_a: float,
    value_b: float,
    base: dict[str, Any],
) -> GateDecision:
    sign = 1.0 if spec.higher_is_better else -1.0
    facts = {
        **base,
        "method": result.method,
        "statistic": result.statistic,
        "p_value": result.p_value,
        "p_value_worse": result.p_value_worse,
        "champion_value": value_a,
        "challenger_value": value_b,
        "delta": value_b - value_a,
        "improvement": sign * (value_b - value_a),
        "ci": (result.ci_low, result.ci_high),
        "details": result.details,
    }
    decision, reason, worse = _verdict(spec, gate, result, facts)
    return GateDecision(decision=decision, reason=reason, worse=worse, **facts)


def _verdict(
    spec: GateMetric, gate: Gate, result: PairedResult, facts: dict[str, Any]
) -> tuple[str, str, bool]:
    said = (
        f"{spec.name} champion {facts['champion_value']:.4g} vs challenger "
        f"{facts['challenger_value']:.4g} on {result.n} paired rows ({result.method}"
    )
    check = result.details.get("wilcoxon_p")
    p_better = max(result.p_value, check) if check is not None else result.p_value
    if p_better < gate.alpha and facts["improvement"] > gate.margin:
        return "promote", f"better by more than {gate.margin}: {said}, p={p_better:.3g})", False
    if result.p_value_worse < gate.alpha:
        verdict = "retire" if gate.retire_rejected else "keep"
        return verdict, f"significantly worse: {said}, p={result.p_value_worse:.3g})", True
    return "keep", f"not better by {gate.margin} yet: {said}, p={p_better:.3g})", False


def _plain(value: Any) -> Any:
    """NumPy scalars and infinities → JSON-safe Python values."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None if np.isnan(value) else (1e308 if value > 0 else -1e308)
    return value


def sequential_look(n: int, min_samples: int, alpha: float) -> tuple[int, float]:
    """Which rows and which level a gate that looks again and again may use now.

    A gate evaluated on every monitoring pass tests the same challenger many times as labels
    accumulate; testing each time at ``alpha`` would promote an equal challenger far more
    often than ``alpha`` ("repeated looks"). Looks are therefore tied to the sample size:
    look ``k`` uses the first ``min_samples · 2**k`` paired rows at level ``alpha / 2**(k+1)``,
    so re-evaluating with the same ``k`` repeats the same test and the levels of all looks
    add up to at most ``alpha`` (alpha spending). Returns ``(rows to use, level)``.

    >>> sequential_look(790, 600, 0.05)
    (600, 0.025)
    >>> sequential_look(2500, 600, 0.05)
    (2400, 0.00625)
    """
    if n < min_samples:
        return n, alpha
    k = (n // min_samples).bit_length() - 1  # the largest k with min_samples · 2**k ≤ n
    return min_samples * 2**k, alpha / 2 ** (k + 1)
