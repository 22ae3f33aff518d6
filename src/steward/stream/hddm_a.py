"""HDDM-A: drift detection with Hoeffding's bound on averages (Frías-Blanco et al., 2014).

River's (and MOA's) algorithm and defaults. The detector keeps the running mean ``z`` of the
error stream and a cut point: the prefix whose mean plus its Hoeffding bound was lowest.
It signals when the mean since the cut exceeds the prefix mean by more than the bound for
``drift_confidence`` (warning: ``warning_confidence``). ``two_sided_test`` also watches
decreases from the prefix with the highest mean minus its bound. The statistic is the
increase over the drift bound (drift at ``>= 1``).

>>> from steward.stream import HDDMA
>>> hddm = HDDMA()
>>> [int(i) for i in hddm.update_many([0, 0, 0, 0, 1] * 100 + [1, 1, 0] * 30)]
[513]
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from steward.stream._base import Tuning, WarningDetector, require
from steward.stream._kernels import (
    Bound,
    bound_at,
    bound_verdict,
    crossings,
    first_hit,
    last_argbest,
    running_sums,
)
from steward.stream._registry import register


@register("hddm_a", input="binary")
class HDDMA(WarningDetector):
    """HDDM with the A-test (River's parameters and defaults).

    Parameters
    ----------
    drift_confidence
        Confidence level of the drift test (smaller: fewer alarms).
    warning_confidence
        Confidence level of the warning test.
    two_sided_test
        Also detect decreases of the error rate.
    """

    tuning = Tuning("drift_confidence", 1e-15, 0.5, stricter="lower")
    _state = ("n", "sum", "lo", "hi")

    def __init__(
        self,
        drift_confidence: float = 0.001,
        warning_confidence: float = 0.005,
        two_sided_test: bool = False,
    ) -> None:
        for name, value in (("drift", drift_confidence), ("warning", warning_confidence)):
            require(0 < value < 1, f"hddm_a: {name}_confidence must be in (0, 1), got {value}")
        self.drift_confidence = drift_confidence
        self.warning_confidence = warning_confidence
        self.two_sided_test = two_sided_test
        self._reset()

    def _reset(self) -> None:
        super()._reset()
        self._n = 0
        self._sum = 0.0
        self._lo: tuple[int, float] = (0, 0.0)  # the prefix with the lowest mean + bound
        self._hi: tuple[int, float] = (0, 0.0)  # ... and with the highest mean - bound

    @property
    def critical_value(self) -> float:
        return 1.0

    def _step(self, x: float) -> None:
        self._n += 1
        self._sum += x
        mean = self._sum / self._n
        eps = math.sqrt(1.0 / (2 * self._n) * math.log(1.0 / self.drift_confidence))
        lo, hi = self._lo, self._hi
        if lo[0] == 0 or lo[1] + self._cut_bound(lo[0]) >= mean + eps:
            lo = self._lo = (self._n, mean)
        if hi[0] == 0 or hi[1] - self._cut_bound(hi[0]) <= mean - eps:
            hi = self._hi = (self._n, mean)
        logs = self._logs()
        self._decide(
            _gap(self._n, mean, lo[0], lo[1], logs), _gap(self._n, -mean, hi[0], -hi[1], logs)
        )

    def _cut_bound(self, n: int) -> float:
        return math.sqrt(1.0 / (2 * n) * math.log(1.0 / self.drift_confidence))

    def _logs(self) -> tuple[float, float]:
        return math.log(2.0 / self.drift_confidence), math.log(2.0 / self.warning_confidence)

    def _decide(self, up: Bound, down: Bound) -> None:
        verdict = bound_verdict(up, down if self.two_sided_test else None, inclusive=True)
        self._drift_detected, self._warning_detected, self._statistic = verdict

    def _run(self, x: np.ndarray) -> int:
        n = self._n + np.arange(1, len(x) + 1)
        sums = running_sums(self._sum, x)
        mean = sums / n
        eps = np.sqrt(1.0 / (2 * n) * math.log(1.0 / self.drift_confidence))
        lo_n, lo_mean = _cuts(n, mean, mean + eps, self._lo, self._cut_bound, lower=True)
        hi_n, hi_mean = _cuts(n, mean, mean - eps, self._hi, self._cut_bound, lower=False)
        up = _gaps(n, mean, lo_n, lo_mean, self._logs())
        down = _gaps(n, -mean, hi_n, -hi_mean, self._logs())
        drift = crossings(up[0], up[1], inclusive=True)
        if self.two_sided_test:
            drift |= crossings(down[0], down[1], inclusive=True)
        stop = first_hit(drift)
        self._n, self._sum = int(n[stop]), float(sums[stop])
        self._lo = (int(lo_n[stop]), float(lo_mean[stop]))
        self._hi = (int(hi_n[stop]), float(hi_mean[stop]))
        self._decide(bound_at(up, stop), bound_at(down, stop))
        return stop + 1


Gaps = tuple[np.ndarray, np.ndarray, np.ndarray]


def _cuts(
    n: np.ndarray,
    mean: np.ndarray,
    value: np.ndarray,
    cut: tuple[int, float],
    bound: Callable[[int], float],
    lower: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """Count and mean of the cut prefix after each item (ties move the cut forward)."""
    if cut[0] == 0:
        prior = math.inf if lower else -math.inf
    else:
        prior = cut[1] + bound(cut[0]) if lower else cut[1] - bound(cut[0])
    best = last_argbest(value, prior, lower=lower, strict=False)
    moved = best >= 0
    at = np.where(moved, best, 0)
    return np.where(moved, n[at], cut[0]), np.where(moved, mean[at], cut[1])


def _gap(n: int, mean: float, cut_n: int, cut_mean: float, logs: tuple[float, float]) -> Bound:
    """``mean - cut_mean`` with the drift and warning bounds (0 while the cut is now)."""
    if n == cut_n:
        return mean - cut_mean, 0.0, 0.0
    m = (n - cut_n) / cut_n * (1.0 / n)
    return mean - cut_mean, math.sqrt(m / 2 * logs[0]), math.sqrt(m / 2 * logs[1])


def _gaps(
    n: np.ndarray,
    mean: np.ndarray,
    cut_n: np.ndarray,
    cut_mean: np.ndarray,
    logs: tuple[float, float],
) -> Gaps:
    """:func:`_gap` for arrays."""
    after = n != cut_n
    m = (n - cut_n) / np.where(after, cut_n, 1) * (1.0 / n)
    drift_eps = np.where(after, np.sqrt(m / 2 * logs[0]), 0.0)
    warn_eps = np.where(after, np.sqrt(m / 2 * logs[1]), 0.0)
    return mean - cut_mean, drift_eps, warn_eps
