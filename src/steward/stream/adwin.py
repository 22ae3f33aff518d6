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

import math

import numpy as np

from steward.stream._base import Detector, Tuning, require
from steward.stream._kernels import running_sums
from steward.stream._registry import register

Rows = list[list[list[float]]]  # per row: [sums, variances], oldest bucket first


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
        require(min_window_length >= 1, f"adwin: min_window_length must be >= 1, got {min_window_length}")
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

    def _check(self) -> None:
        """Test every split; while one is significant, drop the oldest bucket (drift)."""
        first = True
        while True:
            sums = [s for row in reversed(self._rows) for s in row[0]]
            sizes = [float(1 << i) for i in reversed(range(len(self._rows))) for _ in self._rows[i][0]]
            cut, ratio = _evaluate(
                np.asarray([sums]),
                np.asarray([sizes]),
                np.asarray([len(sums)]),
                np.asarray([self._width]),
                np.asarray([self._total]),
                np.asarray([self._variance]),
                self.delta,
                self.min_window_length,
            )
            if first:
                self._statistic, first = float(ratio[0]), False
            if not cut[0] or self._width <= 0:
                return
            self._drift_detected = True
            self._drop_oldest()

    def _drop_oldest(self) -> None:
        size = float(1 << (len(self._rows) - 1))
        sums, variances = self._rows[-1]
        u, v = sums.pop(0), variances.pop(0)
        mu = u / size
        self._width -= size
        self._total -= u
        mu_window = self._total / self._width
        self._variance -= v + size * self._width * (mu - mu_window) * (mu - mu_window) / (
            size + self._width
        )
        if not sums:
            self._rows.pop()

    # -- many items ----------------------------------------------------------------------

    def _run(self, x: np.ndarray) -> int:
        n0, m = self._n, self.max_buckets
        ends = n0 + np.arange(1, len(x) + 1)
        width = ends.astype(np.float64)
        totals = running_sums(self._total, x)
        before = np.concatenate(([self._total], totals[:-1]))
        with np.errstate(divide="ignore", invalid="ignore"):
            dv = x - before / (width - 1.0)
            increments = np.where(width > 1.0, (width - 1.0) * dv * dv / width, 0.0)
        variances = running_sums(self._variance, increments)
        rows = self._grow(x)
        first_kept = _kept(n0, m, len(rows))[0]
        ticks = np.flatnonzero((ends % self.clock == 0) & (width > self.grace_period))
        stop, hit = len(x) - 1, False
        if len(ticks):
            cut, ratios = self._evaluate_ticks(
                rows, first_kept, ends[ticks], totals[ticks], variances[ticks]
            )
            hits = np.flatnonzero(cut)
            hit = bool(len(hits))
            stop = int(ticks[hits[0]]) if hit else stop
            self._statistic = float(ratios[hits[0] if hit else -1])
        self._n = int(ends[stop])
        self._width = float(width[stop])
        self._total, self._variance = float(totals[stop]), float(variances[stop])
        lo, hi = _kept(self._n, m, len(rows))
        self._rows = [
            [row[0][int(a - f) : int(b - f)].tolist(), row[1][int(a - f) : int(b - f)].tolist()]
            for row, a, b, f in zip(rows, lo, hi, first_kept)
            if b > 0
        ] or [[[], []]]
        if hit:
            self._check()
        return stop + 1

    def _grow(self, x: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        """Every bucket held at any point of the chunk, per row, from the first one kept now."""
        m = self.max_buckets
        out_before = _merged(self._n, m)
        out_after = _merged(self._n + len(x), m)
        rows = []
        sums = np.concatenate([np.asarray(self._rows[0][0], dtype=np.float64), x])
        variances = np.concatenate([np.asarray(self._rows[0][1], dtype=np.float64), np.zeros(len(x))])
        i = 0
        while True:
            rows.append((sums, variances))
            new = (out_after[i] if i < len(out_after) else 0) - (out_before[i] if i < len(out_before) else 0)
            held = self._rows[i + 1] if i + 1 < len(self._rows) else [[], []]
            if new <= 0 and not held[0]:
                return rows
            size = float(1 << i)
            a, b = sums[0 : 2 * new : 2], sums[1 : 2 * new : 2]
            mu1, mu2 = a / size, b / size
            spread = size * 0.5 * (mu1 - mu2) * (mu1 - mu2)
            merged = variances[0 : 2 * new : 2] + variances[1 : 2 * new : 2] + spread
            sums = np.concatenate([np.asarray(held[0], dtype=np.float64), a + b])
            variances = np.concatenate([np.asarray(held[1], dtype=np.float64), merged])
            i += 1

    def _evaluate_ticks(
        self,
        rows: list[tuple[np.ndarray, np.ndarray]],
        first_kept: np.ndarray,
        ends: np.ndarray,
        totals: np.ndarray,
        variances: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Evaluate every check of the chunk at once (oldest bucket first in each row)."""
        lo, hi = _kept(ends, self.max_buckets, len(rows))
        order = range(len(rows) - 1, -1, -1)
        offsets = np.cumsum([0] + [len(rows[i][0]) for i in order])
        flat = np.concatenate([rows[i][0] for i in order])
        flat_size = np.concatenate([np.full(len(rows[i][0]), float(1 << i)) for i in order])
        starts = np.stack([offsets[j] + lo[i] - first_kept[i] for j, i in enumerate(order)], axis=1)
        lengths = np.stack([np.maximum(hi[i] - lo[i], 0) for i in order], axis=1)
        counts = lengths.sum(axis=1)
        seg_len, seg_start = lengths.ravel(), starts.ravel()
        pieces = int(seg_len.sum())
        source = np.repeat(seg_start - (np.cumsum(seg_len) - seg_len), seg_len) + np.arange(pieces)
        row = np.repeat(np.arange(len(ends)), counts)
        col = np.arange(pieces) - np.repeat(np.cumsum(counts) - counts, counts)
        sums = np.zeros((len(ends), int(counts.max())))
        sizes = np.zeros_like(sums)
        sums[row, col] = flat[source]
        sizes[row, col] = flat_size[source]
        return _evaluate(
            sums, sizes, counts, ends.astype(np.float64), totals, variances,
            self.delta, self.min_window_length,
        )


def _merged(n: int, m: int) -> list[int]:
    """Merges out of each row after ``n`` items since the reset."""
    out = []
    while n > 0:
        n = max(0, (n - m + 1) // 2)
        out.append(n)
    return out


def _kept(n: int | np.ndarray, m: int, rows: int) -> tuple[list, list]:
    """Per row, the index range ``[lo, hi)`` of the buckets it holds after ``n`` items.

    Buckets are numbered in the order the row received them; a row holds all it received
    but the ``2 * merged`` oldest.
    """
    lo, hi = [], []
    received = np.asarray(n)
    for _ in range(rows):
        merged = np.maximum(0, (received - m + 1) // 2)
        lo.append(2 * merged)
        hi.append(received)
        received = merged
    return lo, hi


def _evaluate(
    sums: np.ndarray,
    sizes: np.ndarray,
    counts: np.ndarray,
    width: np.ndarray,
    total: np.ndarray,
    variance: np.ndarray,
    delta: float,
    min_length: int,
) -> tuple[np.ndarray, np.ndarray]:
    """For each check (row), whether a split is significant and the largest gap / bound.

    ``sums`` and ``sizes`` hold each check's buckets, oldest first, zero-padded; the split
    after the newest bucket is not a split.
    """
    n0 = np.cumsum(sizes, axis=1)
    n1 = width[:, None] - n0
    u0 = np.cumsum(sums, axis=1)
    u1 = np.cumsum(np.concatenate([total[:, None], -sums], axis=1), axis=1)[:, 1:]
    position = np.arange(sums.shape[1])[None, :]
    valid = (position < counts[:, None] - 1) & (n0 >= min_length) & (n1 >= min_length)
    d_prime = np.asarray([math.log(2.0 * math.log(w) / delta) if w > 1 else math.nan for w in width.tolist()])
    with np.errstate(divide="ignore", invalid="ignore"):
        gap = np.abs(u0 / n0 - u1 / n1)
        m_recip = 1.0 / (n0 - min_length + 1.0) + 1.0 / (n1 - min_length + 1.0)
        epsilon = (
            np.sqrt(2.0 * m_recip * (variance / width)[:, None] * d_prime[:, None])
            + 2.0 / 3.0 * d_prime[:, None] * m_recip
        )
        cut = valid & (gap > epsilon)
        ratio = np.where(valid & (epsilon > 0), gap / epsilon, 0.0)
    return cut.any(axis=1), ratio.max(axis=1, initial=0.0)
