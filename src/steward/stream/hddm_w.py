"""HDDM-W: drift detection with McDiarmid's bound on weighted averages (Frías-Blanco et al.).

River's (and MOA's) algorithm and defaults. An exponentially weighted mean (weight
``lambda_val``) of the error stream is tracked over everything since the reset; the cut is
the moment its value plus McDiarmid's bound was lowest. The weighted mean of the items
since the cut (restarted at the cut) is compared with the weighted mean at the cut: drift
when it is higher by more than the bound for ``drift_confidence``, warning for
``warning_confidence``. ``two_sided_test`` also watches decreases. The statistic is the increase
over the drift bound (drift at ``> 1``).

The mean since the cut equals ``ewma_now + (1 - lambda) ** (items since cut) * c`` with
``c = x_after_cut - ewma_at_cut``, which is how both paths compute it.

>>> from steward.stream import HDDMW
>>> hddm = HDDMW()
>>> [int(i) for i in hddm.update_many([0, 0, 0, 0, 1] * 100 + [1, 1, 0] * 30)]
[531]
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from steward.stream._base import Tuning, WarningDetector, require
from steward.stream._kernels import (
    Bound,
    Decay,
    Recurrence,
    bound_at,
    bound_verdict,
    crossings,
    decay,
    first_hit,
    last_argbest,
)
from steward.stream._registry import register

Side = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


@lru_cache(maxsize=32)
def _ibc(lam: float) -> tuple[list[float], np.ndarray]:
    """McDiarmid's bound condition after ``k`` updates, ``k = 0, 1, …`` until it is constant."""
    values = [1.0]
    while len(values) < 1 << 16:
        nxt = lam * lam + (1 - lam) * (1 - lam) * values[-1]
        if nxt == values[-1]:
            break
        values.append(nxt)
    return values, np.asarray(values)


@register("hddm_w", input="binary")
class HDDMW(WarningDetector):
    """HDDM with the W-test (River's parameters and defaults).

    Parameters
    ----------
    drift_confidence
        Confidence level of the drift test (smaller: fewer alarms).
    warning_confidence
        Confidence level of the warning test.
    lambda_val
        Weight of the newest item in the weighted means.
    two_sided_test
        Also detect decreases of the error rate.
    """

    tuning = Tuning("drift_confidence", 1e-15, 0.5, stricter="lower")
    _state = ("n", "ew", "inc", "dec")

    def __init__(
        self,
        drift_confidence: float = 0.001,
        warning_confidence: float = 0.005,
        lambda_val: float = 0.05,
        two_sided_test: bool = False,
    ) -> None:
        for name, value in (("drift", drift_confidence), ("warning", warning_confidence)):
            require(0 < value < 1, f"hddm_w: {name}_confidence must be in (0, 1), got {value}")
        require(0 < lambda_val < 1, f"hddm_w: lambda_val must be in (0, 1), got {lambda_val}")
        self.drift_confidence = drift_confidence
        self.warning_confidence = warning_confidence
        self.lambda_val = lambda_val
        self.two_sided_test = two_sided_test
        self._reset()

    def _reset(self) -> None:
        super()._reset()
        self._n = 0
        self._ew = Recurrence()
        # cut count, cut value (ewma +- bound), ewma at the cut, first item after it - that
        self._inc = [0, math.inf, 0.0, 0.0]
        self._dec = [0, -math.inf, 0.0, 0.0]

    @property
    def critical_value(self) -> float:
        return 1.0

    def _logs(self) -> tuple[float, float]:
        return math.log(1 / self.drift_confidence), math.log(1 / self.warning_confidence)

    def _step(self, x: float) -> None:
        d = decay(1.0 - self.lambda_val)
        table = _ibc(self.lambda_val)[0]
        self._n += 1
        n = self._n
        if n == 1:
            self._ew.y = x
        else:
            self._ew.step(self.lambda_val * x, d)
        ew = self._ew.y
        eps = math.sqrt(table[min(n, len(table) - 1)] * self._logs()[0] / 2)
        up = self._side_step(self._inc, x, ew, ew + eps, d, table, lower=True)
        down = None
        if self.two_sided_test:
            down = self._side_step(self._dec, x, ew, ew - eps, d, table, lower=False)
        self._decide(up, down)

    def _side_step(
        self,
        side: list,
        x: float,
        ew: float,
        value: float,
        d: Decay,
        table: list[float],
        lower: bool,
    ) -> Bound:
        n = self._n
        if (value < side[1]) if lower else (value > side[1]):
            side[:] = [n, value, ew, 0.0]
        elif n == side[0] + 1:
            side[3] = x - side[2]
        if n == side[0]:
            return 0.0, 0.0, 0.0
        since = n - side[0]
        gap = ew + d.power(since) * side[3] - side[2]
        ibc = table[min(side[0], len(table) - 1)] + table[min(since, len(table) - 1)]
        logs = self._logs()
        drift_eps, warn_eps = math.sqrt(ibc * logs[0] / 2), math.sqrt(ibc * logs[1] / 2)
        return (gap, drift_eps, warn_eps) if lower else (-gap, drift_eps, warn_eps)

    def _decide(self, up: Bound, down: Bound | None) -> None:
        verdict = bound_verdict(up, down, inclusive=False)
        self._drift_detected, self._warning_detected, self._statistic = verdict

    def _run(self, x: np.ndarray) -> int:
        if self._n == 0:
            self._step(float(x[0]))
            return 1 if len(x) == 1 else 1 + self._run(x[1:])
        d = decay(1.0 - self.lambda_val)
        table, table_arr = _ibc(self.lambda_val)
        n = self._n + np.arange(1, len(x) + 1)
        trace = self._ew.run(self.lambda_val * x, d)
        ew = trace[0]
        eps = np.sqrt(table_arr[np.minimum(n, len(table) - 1)] * self._logs()[0] / 2)
        up = self._side_run(self._inc, n, x, ew, ew + eps, d, table_arr, lower=True)
        drift = crossings(up[0], up[1], inclusive=False)
        if self.two_sided_test:
            down = self._side_run(self._dec, n, x, ew, ew - eps, d, table_arr, lower=False)
            drift |= crossings(down[0], down[1], inclusive=False)
        stop = first_hit(drift)
        self._ew.seek(trace, stop)
        self._n = int(n[stop])
        self._inc = self._cut_at(up, stop)
        if self.two_sided_test:
            self._dec = self._cut_at(down, stop)
        self._decide(bound_at(up, stop), bound_at(down, stop) if self.two_sided_test else None)
        return stop + 1

    def _side_run(
        self,
        side: list,
        n: np.ndarray,
        x: np.ndarray,
        ew: np.ndarray,
        value: np.ndarray,
        d: Decay,
        table: np.ndarray,
        lower: bool,
    ) -> tuple[np.ndarray, ...]:
        best = last_argbest(value, side[1], lower=lower, strict=True)
        moved = best >= 0
        at = np.where(moved, best, 0)
        cut_n = np.where(moved, n[at], side[0])
        cut_value = np.where(moved, value[at], side[1])
        s1 = np.where(moved, ew[at], side[2])
        after = np.minimum(at + 1, len(x) - 1)
        c_before = x[0] - side[2] if side[0] == self._n else side[3]
        c = np.where(moved, x[after] - s1, c_before)
        since = n - cut_n
        valid = since > 0
        c = np.where(valid, c, 0.0)
        gap = ew + d.powers(since) * c - s1
        last = len(table) - 1
        ibc = table[np.minimum(cut_n, last)] + table[np.minimum(since, last)]
        logs = self._logs()
        drift_eps = np.where(valid, np.sqrt(ibc * logs[0] / 2), 0.0)
        warn_eps = np.where(valid, np.sqrt(ibc * logs[1] / 2), 0.0)
        gap = gap if lower else -gap
        return np.where(valid, gap, 0.0), drift_eps, warn_eps, cut_n, cut_value, s1, c

    @staticmethod
    def _cut_at(side: tuple[np.ndarray, ...], i: int) -> list:
        return [int(side[3][i]), float(side[4][i]), float(side[5][i]), float(side[6][i])]
