"""Arithmetic shared by the per-item and the vectorised paths of the detectors.

``update(x)`` and ``update_many(values)`` must leave a detector in *identical* states, bit
for bit. Both paths therefore use the same formulas: running sums are sequential
(``np.cumsum`` accumulates left to right, exactly like ``s += x``), elementwise ``+ - * /``
and ``sqrt`` are correctly rounded in NumPy and in Python alike, and transcendental
functions only ever see parameters, never data.

A linear recurrence ``y = a * y + b`` (an exponentially weighted mean, Page–Hinkley's fading
sum) is vectorised as ``y_j = a**j * (y_0 + sum_i b_i * a**-i)`` inside blocks of ``block``
items counted from the last reset; the block is short enough that ``a**-block`` cannot
overflow. The per-item path computes the same products, so both agree exactly.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

_TABLE = 4096


@dataclass(frozen=True)
class Decay:
    """Powers of a factor ``a`` in ``(0, 1]``, as arrays and as lists for scalar use."""

    a: float
    block: int
    pw: np.ndarray = field(repr=False)
    ipw: np.ndarray = field(repr=False)
    pw_list: list[float] = field(repr=False)
    ipw_list: list[float] = field(repr=False)
    coarse: list[float] = field(repr=False)
    coarse_arr: np.ndarray = field(repr=False)

    def power(self, k: int) -> float:
        """``a ** k`` for any ``k >= 0``, from two tables (the same values as ``powers``)."""
        hi = min(k // _TABLE, len(self.coarse) - 1)
        return self.pw_list[k % _TABLE] * self.coarse[hi]

    def powers(self, k: np.ndarray) -> np.ndarray:
        hi = np.minimum(k // _TABLE, len(self.coarse) - 1)
        return self.pw[k % _TABLE] * self.coarse_arr[hi]


@lru_cache(maxsize=64)
def decay(a: float) -> Decay:
    """The cached power tables of ``a`` (``0 < a <= 1``)."""
    pw = np.power(a, np.arange(_TABLE + 1, dtype=np.float64))
    with np.errstate(over="ignore"):  # only entries up to ``block`` are ever used
        ipw = 1.0 / np.where(pw > 0, pw, 1.0)
    block = _TABLE if a == 1.0 else max(1, min(_TABLE, int(600.0 / -math.log(a))))
    coarse = [1.0]  # a ** (TABLE * m); the last entry (0.0, or 1.0 when a == 1) repeats
    step = float(pw[_TABLE])
    while coarse[-1] > 0.0 and step < 1.0:
        nxt = coarse[-1] * step
        coarse.append(nxt if nxt > 1e-300 else 0.0)
    coarse_arr = np.asarray(coarse)
    for array in (pw, ipw, coarse_arr):
        array.setflags(write=False)
    return Decay(a, block, pw, ipw, pw.tolist(), ipw.tolist(), coarse, coarse_arr)


Trace = tuple[np.ndarray, np.ndarray, np.ndarray]


@dataclass
class Recurrence:
    """State of ``y = a * y + b`` computed blockwise: value ``y``, anchor ``u``, offset ``j``."""

    y: float = 0.0
    u: float = 0.0
    j: int = 0

    def step(self, b: float, d: Decay) -> float:
        if self.j == d.block:
            self.j = 0
        if self.j == 0:
            self.u = self.y
        self.j += 1
        self.u = self.u + b * d.ipw_list[self.j]
        self.y = self.u * d.pw_list[self.j]
        return self.y

    def run(self, b: np.ndarray, d: Decay) -> Trace:
        """Values for every ``b`` without changing ``self``; ``seek`` then moves to one."""
        ys, us = np.empty(len(b)), np.empty(len(b))
        js = np.empty(len(b), dtype=np.int64)
        y, u, j = self.y, self.u, self.j
        start = 0
        while start < len(b):
            if j == d.block:
                j = 0
            if j == 0:
                u = y
            m = min(d.block - j, len(b) - start)
            acc = np.cumsum(np.concatenate(([u], b[start : start + m] * d.ipw[j + 1 : j + m + 1])))
            us[start : start + m] = acc[1:]
            ys[start : start + m] = acc[1:] * d.pw[j + 1 : j + m + 1]
            js[start : start + m] = np.arange(j + 1, j + m + 1)
            y, u, j = float(ys[start + m - 1]), float(acc[-1]), j + m
            start += m
        return ys, us, js

    def seek(self, trace: Trace, i: int) -> None:
        self.y, self.u, self.j = float(trace[0][i]), float(trace[1][i]), int(trace[2][i])

    def to_list(self) -> list[float | int]:
        return [self.y, self.u, self.j]

    @classmethod
    def from_list(cls, data: list[float | int]) -> Recurrence:
        return cls(float(data[0]), float(data[1]), int(data[2]))


def running_sums(start: float, x: np.ndarray) -> np.ndarray:
    """``start + x[0]``, ``start + x[0] + x[1]``, … accumulated left to right."""
    return np.cumsum(np.concatenate(([start], x)))[1:]


def last_argbest(values: np.ndarray, best: float, lower: bool, strict: bool) -> np.ndarray:
    """For every position, the index of the running best so far (``-1``: the prior ``best``).

    ``lower`` picks minima, else maxima. Ties move the argbest to the later position unless
    ``strict``: this mirrors ``if v <= best: best = v`` (or ``<``) applied item by item.
    """
    acc = np.minimum.accumulate if lower else np.maximum.accumulate
    running = acc(np.concatenate(([best], values)))
    before = running[:-1]
    if strict:
        moved = values < before if lower else values > before
    else:
        moved = values <= before if lower else values >= before
    where = np.where(moved, np.arange(len(values)), -1)
    return np.maximum.accumulate(where)


def moment_sums(s1: float, s2: float, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Running sums of ``y`` and ``y * y`` from ``s1`` and ``s2``, as ``s += y`` item by item.

    The self-starting charts (CUSUM's warm-up, EWMA) keep the moments of ``x - pivot``.
    """
    return running_sums(s1, y), running_sums(s2, y * y)


def first_hit(mask: np.ndarray) -> int:
    """Where a vectorised run stops: the first ``True`` in ``mask``, else its last item."""
    hits = np.flatnonzero(mask)
    return int(hits[0]) if len(hits) else len(mask) - 1


Bound = tuple[float, float, float]
"""A one-sided HDDM test: the gap, its drift bound and its warning bound (bounds 0: no test)."""


def bound_at(sides: Sequence[np.ndarray], i: int) -> Bound:
    """Item ``i`` of the first three arrays of a vectorised HDDM side (gap, drift, warning)."""
    return float(sides[0][i]), float(sides[1][i]), float(sides[2][i])


def crosses(gap: float, bound: float, inclusive: bool) -> bool:
    """Whether ``gap`` reaches a positive ``bound`` (``>=`` when ``inclusive``, else ``>``)."""
    return bound > 0 and (gap >= bound if inclusive else gap > bound)


def crossings(gap: np.ndarray, bound: np.ndarray, inclusive: bool) -> np.ndarray:
    """:func:`crosses` for arrays."""
    positive = np.where(bound > 0, bound, np.inf)
    return gap >= positive if inclusive else gap > positive


def bound_verdict(up: Bound, down: Bound | None, inclusive: bool) -> tuple[bool, bool, float]:
    """Drift, warning and statistic of the HDDM tests: the upward one and, when two-sided,
    the downward one; the statistic is the gap over the drift bound (the larger side's)."""
    gap, drift_eps, warn_eps = up
    drift = crosses(gap, drift_eps, inclusive)
    warning = not drift and crosses(gap, warn_eps, inclusive)
    statistic = gap / drift_eps if drift_eps > 0 else 0.0
    if down is not None:
        gap, drift_eps, warn_eps = down
        if crosses(gap, drift_eps, inclusive):
            drift = True
        elif crosses(gap, warn_eps, inclusive):
            warning = True
        if drift_eps > 0:
            statistic = max(statistic, gap / drift_eps)
    return drift, warning, statistic
