"""KSWIN: Kolmogorov–Smirnov windowing (Raab et al., 2020).

River's algorithm and defaults. A sliding window keeps the last ``window_size`` items; once
full, every item compares the newest ``stat_size`` items with ``stat_size`` items drawn at
random from the older part, by a two-sample KS test. Drift when the p-value is at most
``alpha`` and the statistic exceeds 0.1. With equal sample sizes the statistic is a count
``k / stat_size``, so the decision is ``k >= k_crit`` with ``k_crit`` taken once from
SciPy's exact distribution: the same decision as River's, far faster. The random draws
use NumPy's generator (seeded by ``seed``), so detections match River's only where the
draw cannot matter.

>>> from steward.stream import KSWIN
>>> kswin = KSWIN(seed=1)
>>> [int(i) for i in kswin.update_many([0.0] * 200 + [1.0] * 20)]
[213]
"""

from __future__ import annotations

import warnings
from functools import lru_cache
from typing import Any

import numpy as np

from steward.stream._base import Detector, Tuning, require
from steward.stream._registry import register


@lru_cache(maxsize=32)
def p_values(size: int) -> tuple[float, ...]:
    """Exact two-sample KS p-values for two samples of ``size``, by count ``k = 0 … size``."""
    from scipy import stats

    a = np.arange(size, dtype=np.float64)
    out = [1.0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=RuntimeWarning)
        for k in range(1, size + 1):
            out.append(float(stats.ks_2samp(a, a + k - 0.5, method="auto").pvalue))
    return tuple(out)


def ks_counts(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``size * D`` for each row pair of two ``(tests, size)`` arrays (ties handled).

    After sorting both samples together, the running count of ``a`` items minus ``b`` items
    is ``size * (F_a - F_b)``; it is read at the last item of each run of equal values.
    """
    size = a.shape[1]
    values = np.concatenate([a, b], axis=1)
    order = np.argsort(values, axis=1)
    steps = np.cumsum((order < size).astype(np.int16) * 2 - 1, axis=1, dtype=np.int16)
    np.abs(steps, out=steps)
    ordered = np.take_along_axis(values, order, axis=1)
    ties = ordered[:, 1:] == ordered[:, :-1]
    if ties.any():
        steps[:, :-1][ties] = 0
    return steps.max(axis=1).astype(np.int64)


@register("kswin", input="real")
class KSWIN(Detector):
    """Kolmogorov–Smirnov windowing (River's parameters and defaults).

    Parameters
    ----------
    alpha
        Significance level of the KS test (River advises below 0.01).
    window_size
        Size of the sliding window.
    stat_size
        Size of the two compared samples (at most half the window).
    seed
        Seed of the random draws (``None``: fresh entropy after every reset).
    """

    tuning = Tuning("alpha", 1e-12, 0.5, stricter="lower")
    _state = ("n", "window", "rng", "p_value")

    def __init__(
        self,
        alpha: float = 0.005,
        window_size: int = 100,
        stat_size: int = 30,
        seed: int | None = None,
    ) -> None:
        require(0 < alpha < 1, f"kswin: alpha must be in (0, 1), got {alpha}")
        require(
            stat_size >= 1 and 2 * stat_size <= window_size,
            f"kswin: need 1 <= stat_size <= window_size / 2, got {stat_size} and {window_size}",
        )
        self.alpha = alpha
        self.window_size = window_size
        self.stat_size = stat_size
        self.seed = seed
        self._reset()

    @classmethod
    def calibration_grid(cls, params: dict[str, Any]) -> list[float]:
        """One ``alpha`` per possible critical count: ``p(k)`` makes ``k`` the critical one."""
        size = params.get("stat_size", 30)
        table = p_values(size)
        return [table[k] for k in range(1, size + 1) if k / size > 0.1 and table[k] < 1]

    def _reset(self) -> None:
        super()._reset()
        self._n = 0
        self._window: list[float] = []
        self._rng = np.random.default_rng(self.seed)
        self._p_value = 1.0

    @property
    def p_value(self) -> float:
        """The p-value of the last KS test (1 before the window is full)."""
        return self._p_value

    @property
    def critical_value(self) -> float:
        return self._critical() / self.stat_size

    def _critical(self) -> int:
        """The smallest count that is a drift: ``p <= alpha`` and ``D > 0.1``."""
        table = p_values(self.stat_size)
        for k in range(1, self.stat_size + 1):
            if table[k] <= self.alpha and k / self.stat_size > 0.1:
                return k
        return self.stat_size + 1

    def _step(self, x: float) -> None:
        size, older = self.stat_size, self.window_size - self.stat_size
        self._n += 1
        self._window.append(x)
        if len(self._window) > self.window_size:
            del self._window[0]
        if len(self._window) < self.window_size:
            return
        picks = np.argpartition(self._rng.random(older), size - 1)[:size]
        sample = np.asarray(self._window[:older])[picks]
        recent = self._window[older:]
        self._record(int(ks_counts(sample[None, :], np.asarray([recent]))[0]), recent)

    def _record(self, k: int, recent: list[float]) -> None:
        self._statistic = k / self.stat_size
        self._p_value = p_values(self.stat_size)[k]
        self._drift_detected = k >= self._critical()
        if self._drift_detected:
            self._window = list(recent)

    def _run(self, x: np.ndarray) -> int:
        size, width = self.stat_size, self.window_size
        older = width - size
        buf = np.concatenate([np.asarray(self._window, dtype=np.float64), x])
        base = len(self._window)
        items = np.arange(max(0, width - 1 - base), len(x))  # chunk items that run a test
        if not len(items):
            self._n += len(x)
            self._window = buf[-width:].tolist()
            return len(x)
        saved = self._rng.bit_generator.state
        picks = np.argpartition(self._rng.random((len(items), older)), size - 1, axis=1)[:, :size]
        end = base + items
        sample = buf[(end - width + 1)[:, None] + picks]
        recent = buf[(end - size + 1)[:, None] + np.arange(size)]
        counts = ks_counts(sample, recent)
        hits = np.flatnonzero(counts >= self._critical())
        j = int(hits[0]) if len(hits) else len(items) - 1
        if len(hits) and j < len(items) - 1:
            self._rng.bit_generator.state = saved
            self._rng.random((j + 1, older))
        stop = int(items[j]) if len(hits) else len(x) - 1
        self._n += stop + 1
        self._window = buf[max(0, base + stop + 1 - width) : base + stop + 1].tolist()
        self._record(int(counts[j]), recent[j].tolist())
        return stop + 1
