"""ADWIN: adaptive windowing (Bifet & Gavaldà, 2007), River's ADWIN2 variant.

River's algorithm, defaults and arithmetic. The window is an exponential histogram: row
``i`` holds up to ``max_buckets`` buckets of ``2**i`` items (their sum and variance), and a
row that reaches ``max_buckets + 1`` merges its two oldest buckets into the next row. Every
``clock`` items (once the window exceeds ``grace_period``) every split of the window into
an older and a newer part, at bucket boundaries, is tested; a split whose means differ by
more than the bound ``epsilon_cut`` is a drift and the oldest buckets are dropped until no
split is significant. The statistic is the largest ``|mean gap| / epsilon_cut`` at the last
check (drift at ``> 1``).

``update_many`` runs between detections without a per-item loop: since River's detector
resets after each drift, the histogram depends only on the number of items since the reset,
so every bucket is a pairwise sum of an aligned block of items, and all checks of a chunk
are evaluated at once.

>>> from steward.stream import ADWIN
>>> adwin = ADWIN()
>>> [int(i) for i in adwin.update_many([0.0, 1.0] * 500 + [1.0] * 200)]
[1055]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from steward.stream._base import Detector, Tuning, require
from steward.stream._kernels import running_sums
from steward.stream._registry import register

Rows = list[list[list[float]]]  # per row: [sums, variances], oldest bucket first
_FEW = 16  # merges per row below which Python floats are faster than NumPy calls


@register("adwin", input="real")
class ADWIN(Detector):
    """Adaptive windowing (River's parameters and defaults).

    Parameters
    ----------
    delta
        Significance of the split test (smaller: fewer alarms).
    clock
        Check for a change every ``clock`` items.
    max_buckets
        Buckets per row of the histogram before two merge.
    min_window_length
        Smallest sub-window a split may leave on either side.
    grace_period
        Items after a reset before the first check.
    """

    tuning = Tuning("delta", 1e-12, 0.5, stricter="lower")
    _state = ("n", "width", "total", "variance", "rows")
    _chunk = (8192, 8192)

    def __init__(
        self,
        delta: float = 0.002,
        clock: int = 32,
        max_buckets: int = 5,
        min_window_length: int = 5,
        grace_period: int = 10,
    ) -> None:
        require(0 < delta < 1, f"adwin: delta must be in (0, 1), got {delta}")
        require(clock >= 1, f"adwin: clock must be >= 1, got {clock}")
        require(max_buckets >= 2, f"adwin: max_buckets must be >= 2, got {max_buckets}")
        require(
            min_window_length >= 1,
            f"adwin: min_window_length must be >= 1, got {min_window_length}",
        )
        require(grace_period >= 0, f"adwin: grace_period must be >= 0, got {grace_period}")
        self.delta = delta
        self.clock = clock
        self.max_buckets = max_buckets
        self.min_window_length = min_window_length
        self.grace_period = grace_period
        self._reset()

    def _reset(self) -> None:
        super()._reset()
        self._n = 0
        self._width = 0.0
        self._total = 0.0
        self._variance = 0.0
        self._rows: Rows = [[[], []]]

    @property
    def width(self) -> int:
        """Items in the current window."""
        return int(self._width)

    @property
    def total(self) -> float:
        """Sum of the items in the current window."""
        return self._total

    @property
    def variance(self) -> float:
        """Sum of squared deviations in the current window (River's ``variance``)."""
        return self._variance

    @property
    def estimation(self) -> float:
        """Mean of the current window."""
        return self._total / self._width if self._width else 0.0

    @property
    def critical_value(self) -> float:
        return 1.0

    # -- one item ------------------------------------------------------------------------

    def _step(self, x: float) -> None:
        self._n += 1
        self._width += 1.0
        increment = 0.0
        if self._width > 1.0:
            dv = x - self._total / (self._width - 1.0)
            increment = (self._width - 1.0) * dv * dv / self._width
        self._variance += increment
        self._total += x
        self._insert(x)
        if self._n % self.clock == 0 and self._width > self.grace_period:
            self._check()

    def _insert(self, x: float) -> None:
        rows = self._rows
        rows[0][0].append(x)
        rows[0][1].append(0.0)
        i = 0
        while len(rows[i][0]) == self.max_buckets + 1:
            sums, variances = rows[i]
            size = float(1 << i)
            mu1, mu2 = sums[0] / size, sums[1] / size
            spread = size * 0.5 * (mu1 - mu2) * (mu1 - mu2)
            if i + 1 == len(rows):
                rows.append([[], []])
            rows[i + 1][0].append(sums[0] + sums[1])
            rows[i + 1][1].append(variances[0] + variances[1] + spread)
            del sums[:2], variances[:2]
            i += 1

    def _check(self, known_cut: bool = False) -> None:
        """Test every split; while one is significant, drop the oldest bucket (drift).

        River rescans after each drop; here the states after dropping 1, 2, … buckets are
        computed first (with River's arithmetic) and all rescans run at once.
        """
        rows = range(len(self._rows) - 1, -1, -1)
        sums = np.asarray([s for i in rows for s in self._rows[i][0]])
        sizes = np.asarray([float(1 << i) for i in rows for _ in self._rows[i][0]])
        if not known_cut:
            state = [self._width], [self._total], [self._variance]
            gap, epsilon, valid = self._scan_splits(sums[:, None], sizes[:, None], *state)
            self._statistic = _ratio(gap[:, 0], epsilon[:, 0], valid[:, 0])
            if not (valid & (gap > epsilon)).any():
                return
        self._drift_detected = True
        variances = np.asarray([v for i in rows for v in self._rows[i][1]])
        after = _after_drops(self._width, self._total, self._variance, sums, sizes, variances)
        kept = np.arange(len(sums))[:, None] >= np.arange(1, len(sums))[None, :]
        gap, epsilon, valid = self._scan_splits(
            np.where(kept, sums[:, None], 0.0), np.where(kept, sizes[:, None], 0.0), *after
        )
        drops = 1 + int(np.argmin((valid & (gap > epsilon)).any(axis=0)))
        for _ in range(drops):
            self._drop_oldest()

    def _scan_splits(
        self, sums: np.ndarray, sizes: np.ndarray, width: Any, total: Any, variance: Any
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return _splits(
            sums,
            sizes,
            np.asarray(width, dtype=np.float64),
            np.asarray(total, dtype=np.float64),
            np.asarray(variance, dtype=np.float64),
            self.delta,
            self.min_window_length,
        )

    def _drop_oldest(self) -> None:
        sums, variances = self._rows[-1]
        size = float(1 << (len(self._rows) - 1))
        state = self._width, self._total, self._variance
        self._width, self._total, self._variance = _dropped(
            *state, size, sums.pop(0), variances.pop(0)
        )
        if not sums:
            self._rows.pop()

    # -- many items ----------------------------------------------------------------------

    def _run(self, x: np.ndarray) -> int:
        n0, m = self._n, self.max_buckets
        width = np.arange(n0 + 1, n0 + len(x) + 1, dtype=np.float64)
        totals = running_sums(self._total, x)
        before = np.concatenate(([self._total], totals[:-1]))
        with np.errstate(divide="ignore", invalid="ignore"):  # the first item after a reset
            shrunk = width - 1.0
            dv = x - before / shrunk
            increments = shrunk * dv * dv / width
        if n0 == 0:
            increments[0] = 0.0
        variances = running_sums(self._variance, increments)
        rows = self._grow(x)
        first_kept = _kept_one(n0, m, len(rows))[0]
        first_tick = -(-max(n0 + 1, self.grace_period + 1) // self.clock) * self.clock
        ticks = np.arange(first_tick, n0 + len(x) + 1, self.clock) - (n0 + 1)
        stop, hit = len(x) - 1, False
        if len(ticks):
            view = _View(rows, first_kept, m)
            half = (len(ticks) + 1) // 2  # the second half is only needed without a drift
            for part in (ticks[:half], ticks[half:]):
                if not len(part):
                    continue
                gap, epsilon, valid = self._scan_splits(
                    *view.buckets(part + n0 + 1), width[part], totals[part], variances[part]
                )
                hits = np.flatnonzero((valid & (gap > epsilon)).any(axis=0))
                at = int(hits[0]) if len(hits) else -1
                self._statistic = _ratio(gap[:, at], epsilon[:, at], valid[:, at])
                if len(hits):
                    stop, hit = int(part[at]), True
                    break
        self._n = n0 + stop + 1
        self._width = float(width[stop])
        self._total, self._variance = float(totals[stop]), float(variances[stop])
        lo, hi = _kept_one(self._n, m, len(rows))
        self._rows = [
            row[:, a - f : b - f].tolist()
            for row, a, b, f in zip(rows, lo, hi, first_kept, strict=True)
            if b > 0
        ] or [[[], []]]
        if hit:
            self._check(known_cut=True)
        return stop + 1

    def _grow(self, x: np.ndarray) -> list[np.ndarray]:
        """Every bucket held at any point of the chunk, per row, from the first one kept now.

        Row ``i`` is a ``(2, k)`` array of bucket sums and variances; its buckets merge in
        aligned pairs, oldest first, into row ``i + 1``, as River's merges would.
        """
        m = self.max_buckets
        out_before = _merged(self._n, m)
        out_after = _merged(self._n + len(x), m)
        row = np.concatenate(
            [np.asarray(self._rows[0], dtype=np.float64), [x, np.zeros(len(x))]], axis=1
        )
        rows = [row]
        for i in range(max(len(out_after), len(self._rows) - 1)):
            new = out_after[i] - (out_before[i] if i < len(out_before) else 0)
            if new <= 0 and i + 1 >= len(self._rows):
                break  # no row above this one, and none is needed yet
            held = np.asarray(
                self._rows[i + 1] if i + 1 < len(self._rows) else [[], []], dtype=np.float64
            )
            if 0 < new <= _FEW:
                held = np.concatenate([held, _merge_few(row[:, : 2 * new].tolist(), i)], axis=1)
            elif new > 0:
                size = float(1 << i)
                first, second = row[:, 0 : 2 * new : 2], row[:, 1 : 2 * new : 2]
                merged = first + second  # sums, and the two variances added
                gap = first[0] / size - second[0] / size
                merged[1] += size * 0.5 * gap * gap
                held = np.concatenate([held, merged], axis=1)
            row = held
            rows.append(row)
        return rows


class _View:
    """The buckets of a chunk's histogram as every check saw them, one column per check.

    Each row of the histogram gets ``max_buckets`` slots, oldest row first; unused slots
    hold empty buckets, whose splits repeat the previous split and change nothing.
    """

    def __init__(self, rows: list[np.ndarray], first_kept: list[int], m: int) -> None:
        self.top_first = list(range(len(rows) - 1, -1, -1))
        lengths = np.asarray([rows[i].shape[1] for i in self.top_first])
        offsets = np.empty(len(rows), dtype=np.int64)
        offsets[self.top_first] = np.cumsum(lengths) - lengths
        self.flat = np.concatenate([rows[i][0] for i in self.top_first] + [np.zeros(1)])
        self.base = (offsets - np.asarray(first_kept))[:, None]
        self.size = np.ldexp(1.0, np.asarray(self.top_first))[:, None, None]
        self.slots = np.arange(m)[None, :, None]
        self.m = m

    def buckets(self, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Bucket sums and sizes, ``(rows * m, len(ends))``, after ``ends`` items."""
        lo, hi = _kept(ends, self.m, len(self.top_first))
        start, end = (lo + self.base)[self.top_first], (hi + self.base)[self.top_first]
        index = start[:, None, :] + self.slots
        inside = index < end[:, None, :]
        sums = self.flat[np.where(inside, index, len(self.flat) - 1)]
        sizes = np.where(inside, self.size, 0.0)
        shape = (len(self.top_first) * self.m, len(ends))
        return sums.reshape(shape), sizes.reshape(shape)


def _merge_few(row: list[list[float]], level: int) -> list[list[float]]:
    """Pairs of buckets of ``row`` (sums, variances) merged as in ``ADWIN._insert``."""
    size = float(1 << level)
    sums, variances = row
    out: list[list[float]] = [[], []]
    for j in range(0, len(sums), 2):
        mu1, mu2 = sums[j] / size, sums[j + 1] / size
        out[0].append(sums[j] + sums[j + 1])
        out[1].append(variances[j] + variances[j + 1] + size * 0.5 * (mu1 - mu2) * (mu1 - mu2))
    return out


def _after_drops(
    width: float,
    total: float,
    variance: float,
    sums: np.ndarray,
    sizes: np.ndarray,
    variances: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Width, total and variance after dropping the 1, 2, … oldest buckets.

    :func:`_dropped` applied in turn: each step subtracts, so running sums of the negated
    terms give the same numbers.
    """
    size, u, v = sizes[:-1], sums[:-1], variances[:-1]
    widths = running_sums(width, -size)
    totals = running_sums(total, -u)
    mu, mu_window = u / size, totals / widths
    steps = v + size * widths * (mu - mu_window) * (mu - mu_window) / (size + widths)
    return widths, totals, running_sums(variance, -steps)


def _dropped(
    width: float, total: float, variance: float, size: float, u: float, v: float
) -> tuple[float, float, float]:
    """Window width, total and variance without a bucket of ``size`` items, sum ``u``."""
    mu = u / size
    width -= size
    total -= u
    mu_window = total / width
    variance -= v + size * width * (mu - mu_window) * (mu - mu_window) / (size + width)
    return width, total, variance


def _merged(n: int, m: int) -> list[int]:
    """Merges out of each row after ``n`` items since the reset."""
    out = []
    while n > 0:
        n = max(0, (n - m + 1) // 2)
        out.append(n)
    return out


def _kept_one(n: int, m: int, rows: int) -> tuple[list[int], list[int]]:
    """Per row, the index range ``[lo, hi)`` of the buckets it holds after ``n`` items.

    Buckets are numbered in the order the row received them; a row that received ``r``
    merges ``max(0, (r - m + 1) // 2)`` pairs out, so it holds all but the ``2 * merged``
    oldest. Composed over rows: row ``i`` received ``max(0, (n - (m - 1)(2**i - 1)) >> i)``.
    """
    received = [max(0, (n - (m - 1) * ((1 << i) - 1)) >> i) for i in range(rows + 1)]
    return [2 * r for r in received[1:]], received[:-1]


def _kept(n: np.ndarray, m: int, rows: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_kept_one` for many counts at once: ``(rows, len(n))`` arrays."""
    level = np.arange(rows + 1)[:, None]
    received = np.maximum(0, (n[None, :] - (m - 1) * ((1 << level) - 1)) >> level)
    return 2 * received[1:], received[:-1]


def _splits(
    sums: np.ndarray,
    sizes: np.ndarray,
    width: np.ndarray,
    total: np.ndarray,
    variance: np.ndarray,
    delta: float,
    min_length: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean gap, bound and validity of every split of every check (one check per column).

    ``sums`` and ``sizes`` hold each check's buckets, oldest first (empty buckets are
    allowed). The split after the newest bucket leaves ``n1 = 0`` and so is never valid.
    """
    slack = min_length - 1.0
    n0 = np.cumsum(sizes, axis=0)
    n1 = width - n0
    u0 = np.cumsum(sums, axis=0)
    u1 = total - u0
    with np.errstate(divide="ignore", invalid="ignore"):
        d_prime = np.log(2.0 * np.log(width) / delta)
        u0 /= n0
        u1 /= n1
        u0 -= u1
        gap = np.abs(u0, out=u0)
        # 1 / (n0 - slack) + 1 / (n1 - slack), with n0 + n1 = width
        n0 -= slack
        n1 -= slack
        valid = np.minimum(n0, n1) >= 1.0  # both parts at least min_length long
        n0 *= n1
        m_recip = np.divide(width - 2.0 * slack, n0, out=n0)
        epsilon = np.multiply(m_recip, 2.0 * variance / width * d_prime, out=n1)
        np.sqrt(epsilon, out=epsilon)
        m_recip *= 2.0 / 3.0 * d_prime
        epsilon += m_recip
    return gap, epsilon, valid


def _ratio(gap: np.ndarray, epsilon: np.ndarray, valid: np.ndarray) -> float:
    """The largest gap / bound over the valid splits of one check (0 without any)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(valid & (epsilon > 0), gap / epsilon, 0.0)
    return float(ratio.max(initial=0.0))
