"""DDM: the drift detection method of Gama et al. (2004) on a 0/1 error stream.

River's algorithm and defaults. With ``p`` the error rate since the reset and
``s = sqrt(p (1 - p) / n)``, the detector remembers ``p_min, s_min`` where ``p + s`` was
smallest (after ``warm_start`` items) and signals a warning when
``p + s > p_min + warning_threshold * s_min`` and a drift when
``p + s > p_min + drift_threshold * s_min``. The statistic is ``(p + s - p_min) / s_min``.

>>> from steward.stream import DDM
>>> ddm = DDM()
>>> [int(i) for i in ddm.update_many([0, 0, 0, 0, 1] * 100 + [1, 1, 0] * 30)]
[537]
"""

from __future__ import annotations

import math

import numpy as np

from steward.stream._base import Tuning, WarningDetector, require
from steward.stream._kernels import last_argbest, running_sums
from steward.stream._registry import register


@register("ddm", input="binary")
class DDM(WarningDetector):
    """Drift Detection Method (River's parameters and defaults).

    Parameters
    ----------
    warm_start
        Items after a reset before the minimum is tracked and signals can fire.
    warning_threshold
        Warning at ``p_min + warning_threshold * s_min``.
    drift_threshold
        Drift at ``p_min + drift_threshold * s_min``.
    """

    tuning = Tuning("drift_threshold", 0.5, 50.0)
    _state = ("n", "errors", "p_min", "s_min", "ps_min")

    def __init__(
        self, warm_start: int = 30, warning_threshold: float = 2.0, drift_threshold: float = 3.0
    ) -> None:
        require(warm_start >= 0, f"ddm: warm_start must be >= 0, got {warm_start}")
        require(drift_threshold > 0, f"ddm: drift_threshold must be > 0, got {drift_threshold}")
        self.warm_start = warm_start
        self.warning_threshold = warning_threshold
        self.drift_threshold = drift_threshold
        self._reset()

    def _reset(self) -> None:
        super()._reset()
        self._n = 0
        self._errors = 0.0
        self._p_min = 0.0
        self._s_min = 0.0
        self._ps_min = math.inf

    def _step(self, x: float) -> None:
        self._n += 1
        self._errors += x
        p = self._errors / self._n
        s = math.sqrt(p * (1 - p) / self._n)
        if self._n <= self.warm_start:
            return
        ps = p + s
        if ps <= self._ps_min:
            self._p_min, self._s_min, self._ps_min = p, s, ps
        self._decide(ps, self._p_min, self._s_min)

    def _decide(self, ps: float, p_min: float, s_min: float) -> None:
        self._drift_detected = ps > p_min + self.drift_threshold * s_min
        self._warning_detected = not self._drift_detected and (
            ps > p_min + self.warning_threshold * s_min
        )
        gap = ps - p_min
        self._statistic = gap / s_min if s_min > 0 else (math.inf if gap > 0 else 0.0)

    def _run(self, x: np.ndarray) -> int:
        n = self._n + np.arange(1, len(x) + 1)
        errors = running_sums(self._errors, x)
        p = errors / n
        s = np.sqrt(p * (1 - p) / n)
        ps = p + s
        first = max(0, self.warm_start - self._n)  # the first item past the warm start
        if first >= len(x):
            self._n, self._errors = int(n[-1]), float(errors[-1])
            return len(x)
        best = last_argbest(ps[first:], self._ps_min, lower=True, strict=False)
        moved = best >= 0
        at = np.where(moved, best + first, 0)
        p_min = np.where(moved, p[at], self._p_min)
        s_min = np.where(moved, s[at], self._s_min)
        drift = ps[first:] > p_min + self.drift_threshold * s_min
        hits = np.flatnonzero(drift)
        stop = int(hits[0]) if len(hits) else len(drift) - 1
        if moved[stop]:
            self._p_min, self._s_min = float(p_min[stop]), float(s_min[stop])
            self._ps_min = float(ps[at[stop]])
        self._n, self._errors = int(n[first + stop]), float(errors[first + stop])
        self._decide(float(ps[first + stop]), self._p_min, self._s_min)
        return first + stop + 1
