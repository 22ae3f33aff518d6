"""Page–Hinkley: a CUSUM of deviations from the running mean, with a forgetting factor.

River's algorithm and defaults: ``m = alpha * m + (x - mean) - delta`` and a drift when
``m - min(m) > threshold`` (``mode="up"``); ``mode="down"`` watches
``max(m') - m'`` with ``m' = alpha * m' + (x - mean) + delta``; ``"both"`` watches both.
Values are centred on the first item after a reset, so a constant stream gives exact zeros.

>>> from steward.stream import PageHinkley
>>> ph = PageHinkley(threshold=10.0)
>>> [int(i) for i in ph.update_many([0.0] * 300 + [1.0] * 300)]
[310]
"""

from __future__ import annotations

import math

import numpy as np

from steward.stream._base import Detector, Tuning, require
from steward.stream._kernels import Recurrence, decay, running_sums
from steward.stream._registry import register

_MODES = ("up", "down", "both")


@register("page_hinkley", input="real")
class PageHinkley(Detector):
    """Page–Hinkley test (River's parameters and defaults).

    Parameters
    ----------
    min_instances
        Items after a reset before a drift can be signalled.
    delta
        Tolerated change of the mean.
    threshold
        Decision threshold (lambda).
    alpha
        Forgetting factor of the cumulative sums (1 keeps everything).
    mode
        ``"up"``, ``"down"`` or ``"both"``.
    """

    tuning = Tuning("threshold", 1e-3, 1e5)
    _state = ("n", "pivot", "sum", "inc", "inc_min", "dec", "dec_max")

    def __init__(
        self,
        min_instances: int = 30,
        delta: float = 0.005,
        threshold: float = 50.0,
        alpha: float = 1 - 0.0001,
        mode: str = "both",
    ) -> None:
        require(
            min_instances >= 1, f"page_hinkley: min_instances must be >= 1, got {min_instances}"
        )
        require(delta >= 0, f"page_hinkley: delta must be >= 0, got {delta}")
        require(threshold > 0, f"page_hinkley: threshold must be > 0, got {threshold}")
        require(0 < alpha <= 1, f"page_hinkley: alpha must be in (0, 1], got {alpha}")
        require(mode in _MODES, f"page_hinkley: mode must be one of {_MODES}, got {mode!r}")
        self.min_instances = min_instances
        self.delta = delta
        self.threshold = threshold
        self.alpha = alpha
        self.mode = mode
        self._reset()

    def _reset(self) -> None:
        super()._reset()
        self._n = 0
        self._pivot = 0.0
        self._sum = 0.0
        self._inc = Recurrence()
        self._inc_min = math.inf
        self._dec = Recurrence()
        self._dec_max = -math.inf

    def _step(self, x: float) -> None:
        d = decay(self.alpha)
        self._n += 1
        if self._n == 1:
            self._pivot = x
        y = x - self._pivot
        self._sum += y
        dev = y - self._sum / self._n
        up = down = 0.0
        if self.mode != "down":
            m = self._inc.step(dev - self.delta, d)
            self._inc_min = min(self._inc_min, m)
            up = m - self._inc_min
        if self.mode != "up":
            m = self._dec.step(dev + self.delta, d)
            self._dec_max = max(self._dec_max, m)
            down = self._dec_max - m
        self._statistic = max(up, down)
        self._drift_detected = self._n >= self.min_instances and self._statistic > self.threshold

    def _run(self, x: np.ndarray) -> int:
        d = decay(self.alpha)
        if self._n == 0:
            self._pivot = float(x[0])
        y = x - self._pivot
        sums = running_sums(self._sum, y)
        n = self._n + np.arange(1, len(x) + 1)
        dev = y - sums / n
        stat = np.zeros(len(x))
        if self.mode != "down":
            inc = self._inc.run(dev - self.delta, d)
            inc_min = np.minimum.accumulate(np.concatenate(([self._inc_min], inc[0])))[1:]
            stat = inc[0] - inc_min
        if self.mode != "up":
            dec = self._dec.run(dev + self.delta, d)
            dec_max = np.maximum.accumulate(np.concatenate(([self._dec_max], dec[0])))[1:]
            stat = np.maximum(stat, dec_max - dec[0])
        hits = np.flatnonzero((n >= self.min_instances) & (stat > self.threshold))
        stop = int(hits[0]) if len(hits) else len(x) - 1
        if self.mode != "down":
            self._inc.seek(inc, stop)
            self._inc_min = float(inc_min[stop])
        if self.mode != "up":
            self._dec.seek(dec, stop)
            self._dec_max = float(dec_max[stop])
        self._n += stop + 1
        self._sum = float(sums[stop])
        self._statistic = float(stat[stop])
        self._drift_detected = bool(len(hits))
        return stop + 1
