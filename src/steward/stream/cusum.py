"""CUSUM: Page's cumulative sum of standardised deviations from a target mean.

``S = max(0, S + (x - mean) / std - k)`` signals when ``S > threshold``. Without a given
``mean`` or ``std``, both are estimated from the first ``warm_start`` items after each reset
(the detector is silent meanwhile). The sum is kept as ``C - min(0, min C)`` with ``C`` the
plain running sum, which equals the recursion and vectorises with ``cumsum`` and
``minimum.accumulate``; ``C`` is re-anchored every 4096 items so it stays small.

>>> from steward.stream import CUSUM
>>> cusum = CUSUM(mean=0.1, std=0.3)
>>> [int(i) for i in cusum.update_many([0.0] * 500 + [1.0] * 3)]
[502]
"""

from __future__ import annotations

import math

import numpy as np

from steward.stream._base import Detector, Tuning, require
from steward.stream._kernels import first_hit, moment_sums, running_sums
from steward.stream._registry import register

_ANCHOR = 4096
_TINY = 1e-9


@register("cusum", input="real")
class CUSUM(Detector):
    """Tabular CUSUM on ``(x - mean) / std``; two-sided when asked.

    Parameters
    ----------
    k
        Allowance, in standard deviations: half the shift worth detecting.
    threshold
        Decision interval ``h``, in standard deviations.
    warm_start
        Items used to estimate ``mean`` and ``std`` when they are not given.
    mean, std
        The in-control mean and standard deviation, when known.
    two_sided
        Also detect decreases.
    """

    tuning = Tuning("threshold", 0.05, 500.0)
    _state = ("n", "pivot", "s1", "s2", "mu", "sd", "hi", "lo")

    def __init__(
        self,
        k: float = 0.5,
        threshold: float = 5.0,
        warm_start: int = 100,
        mean: float | None = None,
        std: float | None = None,
        two_sided: bool = False,
    ) -> None:
        require(k >= 0, f"cusum: k must be >= 0, got {k}")
        require(threshold > 0, f"cusum: threshold must be > 0, got {threshold}")
        require(warm_start >= 2, f"cusum: warm_start must be >= 2, got {warm_start}")
        require(std is None or std > 0, f"cusum: std must be > 0, got {std}")
        self.k = k
        self.threshold = threshold
        self.warm_start = warm_start
        self.mean = mean
        self.std = std
        self.two_sided = two_sided
        self._reset()

    def _reset(self) -> None:
        super()._reset()
        self._n = 0
        self._pivot = 0.0
        self._s1 = 0.0
        self._s2 = 0.0
        self._mu = self.mean
        self._sd = self.std
        self._hi = [0.0, 0.0]  # running sum C and min(0, min C)
        self._lo = [0.0, 0.0]

    @property
    def _warm(self) -> int:
        return 0 if self.mean is not None and self.std is not None else self.warm_start

    def _fit(self) -> None:
        n = self._n
        mean = self._pivot + self._s1 / n
        var = (self._s2 - self._s1 * self._s1 / n) / (n - 1)
        if self._mu is None:
            self._mu = mean
        if self._sd is None:
            self._sd = max(math.sqrt(max(var, 0.0)), _TINY * max(1.0, abs(self._mu)))

    def _step(self, x: float) -> None:
        self._n += 1
        if self._n == 1:
            self._pivot = x
        if self._n <= self._warm:
            y = x - self._pivot
            self._s1 += y
            self._s2 += y * y
            if self._n == self._warm:
                self._fit()
            return
        assert self._mu is not None and self._sd is not None
        z = (x - self._mu) / self._sd
        anchor = (self._n - self._warm - 1) % _ANCHOR == 0
        up = _side_step(self._hi, z - self.k, anchor)
        down = _side_step(self._lo, -z - self.k, anchor) if self.two_sided else 0.0
        self._statistic = max(up, down)
        self._drift_detected = self._statistic > self.threshold

    def _run(self, x: np.ndarray) -> int:
        i = 0
        while i < len(x) and self._n < self._warm:
            i += self._warm_up(x[i:])
        if i == len(x):
            return i
        while i < len(x):
            left = _ANCHOR - (self._n - self._warm) % _ANCHOR
            used = self._run_block(x[i : i + left])
            i += used
            if self._drift_detected:
                break
        return i

    def _warm_up(self, x: np.ndarray) -> int:
        m = min(len(x), self._warm - self._n)
        if self._n == 0:
            self._pivot = float(x[0])
        y = x[:m] - self._pivot
        s1, s2 = moment_sums(self._s1, self._s2, y)
        self._s1, self._s2 = float(s1[-1]), float(s2[-1])
        self._n += m
        if self._n == self._warm:
            self._fit()
        return m

    def _run_block(self, x: np.ndarray) -> int:
        """Items up to the next re-anchoring point (all on one block)."""
        assert self._mu is not None and self._sd is not None
        z = (x - self._mu) / self._sd
        anchor = (self._n - self._warm) % _ANCHOR == 0
        up = _side_run(self._hi, z - self.k, anchor)
        down = _side_run(self._lo, -z - self.k, anchor) if self.two_sided else None
        stat = up[2] if down is None else np.maximum(up[2], down[2])
        crossed = stat > self.threshold
        stop = first_hit(crossed)
        self._hi = [float(up[0][stop]), float(up[1][stop])]
        if down is not None:
            self._lo = [float(down[0][stop]), float(down[1][stop])]
        self._n += stop + 1
        self._statistic = float(stat[stop])
        self._drift_detected = bool(crossed[stop])
        return stop + 1


def _side_step(side: list[float], step: float, anchor: bool) -> float:
    if anchor:
        side[0], side[1] = side[0] - side[1], 0.0
    side[0] = side[0] + step
    side[1] = min(side[1], side[0])
    return side[0] - side[1]


def _side_run(
    side: list[float], steps: np.ndarray, anchor: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    c0, m0 = (side[0] - side[1], 0.0) if anchor else (side[0], side[1])
    c = running_sums(c0, steps)
    m = np.minimum.accumulate(np.concatenate(([m0], c)))[1:]
    return c, m, c - m
