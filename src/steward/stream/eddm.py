"""EDDM: the early drift detection method of Baena-García et al. (2006).

River's algorithm and defaults. EDDM follows the distance between consecutive errors: with
``m`` and ``s`` the mean and standard deviation of those distances, it remembers the largest
``m + 2 s`` seen after ``warm_start`` items, and once more than ``warm_start`` errors are
counted compares ``level = (m + 2 s) / max``: drift below ``beta``, warning below
``alpha``. The statistic is ``level`` (lower means more change).

>>> from steward.stream import EDDM
>>> eddm = EDDM()
>>> errors = ([0] * 9 + [1]) * 100 + [0, 1] * 300  # an error every 10 items, then every 2
>>> [int(i) for i in eddm.update_many(errors)]
[1255]
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from steward.stream._base import Tuning, WarningDetector, require
from steward.stream._kernels import running_sums
from steward.stream._registry import register

_FEW = 128


@register("eddm", input="binary")
class EDDM(WarningDetector):
    """Early Drift Detection Method (River's parameters and defaults).

    Parameters
    ----------
    warm_start
        Items, and then errors, needed before signals can fire.
    alpha
        Warning when ``level`` falls below it.
    beta
        Drift when ``level`` falls below it (``beta <= alpha``).
    """

    tuning = Tuning("beta", 0.05, 0.9999, stricter="lower", log=False)
    _state = ("n", "errors", "last_error", "d_sum", "d_sq", "p2s_max")

    def __init__(self, warm_start: int = 30, alpha: float = 0.95, beta: float = 0.9) -> None:
        require(warm_start >= 0, f"eddm: warm_start must be >= 0, got {warm_start}")
        require(0 < beta <= alpha, f"eddm: need 0 < beta <= alpha, got beta={beta}, alpha={alpha}")
        self.warm_start = warm_start
        self.alpha = alpha
        self.beta = beta
        self._reset()

    @classmethod
    def with_threshold(cls, params: dict[str, Any], value: float) -> dict[str, Any]:
        return {**params, "beta": value, "alpha": max(params.get("alpha", 0.95), value)}

    def _reset(self) -> None:
        super()._reset()
        self._statistic = 1.0
        self._n = 0
        self._errors = 0
        self._last_error = 0
        self._d_sum = 0.0
        self._d_sq = 0.0
        self._p2s_max = -1.0

    def _step(self, x: float) -> None:
        self._n += 1
        if x == 1.0:
            self._error()

    def _error(self) -> None:
        """An error at item ``self._n``: the only items that change more than the count."""
        self._errors += 1
        dist = float(self._n - self._last_error)
        self._last_error = self._n
        self._d_sum += dist
        self._d_sq += dist * dist
        if self._n <= self.warm_start:
            return
        k = self._errors
        mean = self._d_sum / k
        var = (self._d_sq - self._d_sum * mean) / (k - 1) if k > 1 else 0.0
        p2s = mean + 2 * math.sqrt(max(var, 0.0))
        if p2s > self._p2s_max:
            self._p2s_max = p2s
        elif k > self.warm_start:
            self._statistic = level = p2s / self._p2s_max
            if level < self.beta:
                self._drift_detected = True
            else:
                self._warning_detected = level < self.alpha

    def _run(self, x: np.ndarray) -> int:
        e = np.flatnonzero(x == 1.0)
        if len(e) > _FEW:
            return self._run_errors(x, e)
        start = self._n
        for j in e.tolist():  # few errors: the per-error update is cheaper than NumPy calls
            self._n = start + j + 1
            self._error()
            if self._drift_detected:
                return j + 1
        self._n = start + len(x)
        return len(x)

    def _run_errors(self, x: np.ndarray, e: np.ndarray) -> int:
        at = self._n + e + 1
        dist = (at - np.concatenate(([self._last_error], at[:-1]))).astype(np.float64)
        k = self._errors + np.arange(1, len(e) + 1)
        d_sum = running_sums(self._d_sum, dist)
        d_sq = running_sums(self._d_sq, dist * dist)
        mean = d_sum / k
        with np.errstate(divide="ignore", invalid="ignore"):
            var = np.where(k > 1, (d_sq - d_sum * mean) / (k - 1), 0.0)
        p2s = mean + 2 * np.sqrt(np.maximum(var, 0.0))
        eligible = at > self.warm_start
        best = np.maximum.accumulate(
            np.concatenate(([self._p2s_max], np.where(eligible, p2s, -math.inf)))
        )
        check = eligible & ~(p2s > best[:-1]) & (k > self.warm_start)
        level = p2s / best[:-1]
        drift = check & (level < self.beta)
        hits = np.flatnonzero(drift)
        j = int(hits[0]) if len(hits) else len(e) - 1
        self._n = int(at[j]) if len(hits) else self._n + len(x)
        self._errors, self._last_error = int(k[j]), int(at[j])
        self._d_sum, self._d_sq = float(d_sum[j]), float(d_sq[j])
        self._p2s_max = float(best[j + 1])
        checked = np.flatnonzero(check[: j + 1])
        if len(checked):
            self._statistic = float(level[checked[-1]])
        warned = np.flatnonzero(check[: j + 1] & ~drift[: j + 1])
        if len(warned):
            self._warning_detected = bool(level[warned[-1]] < self.alpha)
        self._drift_detected = bool(len(hits))
        return int(e[j]) + 1 if len(hits) else len(x)
