"""EWMA chart: an exponentially weighted mean against limits from the running moments.

Self-starting, in the spirit of ECDD (Ross et al., 2012): the in-control mean and variance
are the running moments since the last reset (for a 0/1 error stream the variance is
``p (1 - p)``). The weighted mean ``Z`` starts at 0 and is compared with its expectation
``mean * (1 - (1 - lambda) ** t)``, in units of its exact standard deviation
``std * sqrt(lambda / (2 - lambda) * (1 - (1 - lambda) ** (2 t)))``. Drift when that
score exceeds ``threshold``, warning above ``warning_threshold``.

>>> from steward.stream import EWMA
>>> ewma = EWMA()
>>> [int(i) for i in ewma.update_many([0.0, 1.0] * 200 + [1.0] * 40)]
[413]
"""

from __future__ import annotations

import math

import numpy as np

from steward.stream._base import Tuning, WarningDetector, require
from steward.stream._kernels import Recurrence, decay, first_hit, moment_sums
from steward.stream._registry import register


@register("ewma", input="real")
class EWMA(WarningDetector):
    """EWMA control chart with running-moment limits.

    Parameters
    ----------
    lambda_val
        Weight of the newest item in the moving average (smaller: smoother, slower).
    threshold
        Drift limit, in standard deviations of the moving average.
    warning_threshold
        Warning limit, in the same unit.
    warm_start
        Items after a reset before a drift or warning can be signalled.
    two_sided
        Also detect decreases.
    """

    tuning = Tuning("threshold", 0.1, 50.0)
    _state = ("n", "pivot", "s1", "s2", "z")

    def __init__(
        self,
        lambda_val: float = 0.05,
        threshold: float = 3.0,
        warning_threshold: float = 2.0,
        warm_start: int = 30,
        two_sided: bool = False,
    ) -> None:
        require(0 < lambda_val < 1, f"ewma: lambda_val must be in (0, 1), got {lambda_val}")
        require(threshold > 0, f"ewma: threshold must be > 0, got {threshold}")
        require(warm_start >= 1, f"ewma: warm_start must be >= 1, got {warm_start}")
        self.lambda_val = lambda_val
        self.threshold = threshold
        self.warning_threshold = warning_threshold
        self.warm_start = warm_start
        self.two_sided = two_sided
        self._reset()

    def _reset(self) -> None:
        super()._reset()
        self._n = 0
        self._pivot = 0.0
        self._s1 = 0.0
        self._s2 = 0.0
        self._z = Recurrence()

    def _step(self, x: float) -> None:
        lam = self.lambda_val
        d = decay(1.0 - lam)
        self._n += 1
        if self._n == 1:
            self._pivot = x
        y = x - self._pivot
        self._s1 += y
        self._s2 += y * y
        z = self._z.step(lam * y, d)
        mean = self._s1 / self._n
        var = self._s2 / self._n - mean * mean
        score = 0.0
        if var > 0.0:
            spread = math.sqrt(lam / (2.0 - lam) * (1.0 - d.power(2 * self._n)))
            score = (z - mean * (1.0 - d.power(self._n))) / (math.sqrt(var) * spread)
        self._decide(abs(score) if self.two_sided else score)

    def _decide(self, score: float) -> None:
        self._statistic = score
        if self._n > self.warm_start:
            self._drift_detected = score > self.threshold
            self._warning_detected = not self._drift_detected and score > self.warning_threshold

    def _run(self, x: np.ndarray) -> int:
        lam = self.lambda_val
        d = decay(1.0 - lam)
        if self._n == 0:
            self._pivot = float(x[0])
        y = x - self._pivot
        s1, s2 = moment_sums(self._s1, self._s2, y)
        z = self._z.run(lam * y, d)
        n = self._n + np.arange(1, len(x) + 1)
        mean = s1 / n
        var = s2 / n - mean * mean
        spread = np.sqrt(lam / (2.0 - lam) * (1.0 - d.powers(2 * n)))
        with np.errstate(divide="ignore", invalid="ignore"):
            score = (z[0] - mean * (1.0 - d.powers(n))) / (np.sqrt(var) * spread)
        score = np.where(var > 0.0, score, 0.0)
        if self.two_sided:
            score = np.abs(score)
        stop = first_hit((n > self.warm_start) & (score > self.threshold))
        self._n += stop + 1
        self._s1, self._s2 = float(s1[stop]), float(s2[stop])
        self._z.seek(z, stop)
        self._decide(float(score[stop]))
        return stop + 1
