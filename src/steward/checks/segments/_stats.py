"""Vectorised tests of "inside a slice is worse than outside it", bands and FDR control.

Slices are summarised by :class:`Sums` (rows, sum of errors, sum of squared errors), so a
test over thousands of slices is a handful of array operations. Error rates use Fisher's
exact test (one-sided, its hypergeometric tail summed in log space) wherever the count of
errors inside is small enough to sum the tail exactly (standard deviation under
``MAX_EXACT_SD`` errors) and the approximate p-value is below ``EXACT_BELOW`` (only small
p-values can be discoveries), and the pooled two-proportion z-test with continuity correction
(the normal approximation of the same hypergeometric count) elsewhere, where it is
accurate. The plain z-test is too liberal in the far tail for small slices: on data with no
weak slice it made 9% of searches report one at a 5% false-discovery rate. Continuous
errors use Welch's t-test on the means.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special, stats

Z95 = 1.959963984540054
MAX_EXACT_SD = 24.0
FISHER_TERMS = 256
CHUNK = 2048
EXACT_BELOW = 0.2
Z_TEST = "two-proportion z"
FISHER = "Fisher exact"
WELCH = "Welch t"


@dataclass(frozen=True)
class Sums:
    """Rows, error sum and squared-error sum of one or many slices (arrays broadcast)."""

    n: np.ndarray
    s: np.ndarray
    q: np.ndarray

    def __sub__(self, other: Sums) -> Sums:
        return Sums(self.n - other.n, self.s - other.s, self.q - other.q)

    def take(self, index: np.ndarray | slice | int) -> Sums:
        return Sums(self.n[index], self.s[index], self.q[index])

    @property
    def mean(self) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.s / self.n

    @property
    def variance(self) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.maximum(self.q - self.s * self.s / self.n, 0.0) / (self.n - 1)


def sums_of(errors: np.ndarray) -> Sums:
    """The sums of one group of rows."""
    return Sums(np.array(float(len(errors))), np.array(errors.sum()), np.array((errors**2).sum()))


def greater(inside: Sums, outside: Sums, binary: bool) -> tuple[np.ndarray, np.ndarray]:
    """One-sided p-values of "inside's mean error exceeds outside's", and the test names."""
    if binary:
        return _rates(inside, outside)
    p = _welch(inside, outside)
    return p, np.full(p.shape, WELCH, dtype=object)


def _rates(inside: Sums, outside: Sums) -> tuple[np.ndarray, np.ndarray]:
    k1, n1, k0, n0 = np.broadcast_arrays(inside.s, inside.n, outside.s, outside.n)
    n, k = n1 + n0, k1 + k0
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = n1 * k / n
        sd = np.sqrt(n1 * k * (n - k) * (n - n1) / (n * n * (n - 1)))
        z = (k1 - mean - 0.5) / sd
    p = np.where(np.isfinite(z), stats.norm.sf(z), 1.0)
    exact = (p < EXACT_BELOW) & (k1 > mean) & (sd < MAX_EXACT_SD)
    if exact.any():
        p[exact] = fisher_greater(k1[exact], n1[exact], k[exact], n[exact], sd[exact])
    return p, np.where(exact, FISHER, Z_TEST).astype(object)


def fisher_greater(
    k: np.ndarray,
    n: np.ndarray,
    big_k: np.ndarray,
    big_n: np.ndarray,
    sd: np.ndarray | None = None,
) -> np.ndarray:
    """``P(X >= k)`` for ``X ~ Hypergeometric(big_n, big_k, n)``: one-sided Fisher exact.

    Summed term by term from ``k`` using the ratio of consecutive probabilities, in chunks;
    far faster than ``scipy.stats.hypergeom.sf`` for large populations. Callers pass ``k``
    above the mean with a standard deviation below ``MAX_EXACT_SD``, where the terms only
    fall and ``FISHER_TERMS`` of them reach far past any probability that matters.
    """
    arrays = [np.asarray(a, dtype=np.float64).reshape(-1) for a in (k, n, big_k, big_n)]
    spread = np.full(len(arrays[0]), MAX_EXACT_SD) if sd is None else np.asarray(sd).reshape(-1)
    order = np.argsort(spread, kind="stable")
    out = np.empty(len(order))
    for start in range(0, len(order), CHUNK):
        rows = order[start : start + CHUNK]
        terms = min(FISHER_TERMS, int(np.ceil(10 * spread[rows].max())) + 16)
        k_, n_, big_k_, big_n_ = (a[rows] for a in arrays)
        out[rows] = _fisher_chunk(k_, n_, big_k_, big_n_, terms)
    return out


def _fisher_chunk(
    k: np.ndarray, n: np.ndarray, big_k: np.ndarray, big_n: np.ndarray, terms: int
) -> np.ndarray:
    log_first = _log_choose(big_k, k) + _log_choose(big_n - big_k, n - k) - _log_choose(big_n, n)
    j = k[:, None] + np.arange(terms - 1)[None, :]
    top = np.minimum(n, big_k)[:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        grow = (big_k[:, None] - j) * (n[:, None] - j)
        shrink = (j + 1) * ((big_n - big_k - n)[:, None] + j + 1)
        log_ratio = np.where(j < top, np.log(grow / shrink), -np.inf)
    # from k on the terms only fall, so relative to the first they stay in (0, 1]
    relative = 1.0 + np.exp(np.cumsum(log_ratio, axis=1)).sum(axis=1)
    return np.clip(np.exp(log_first + np.log(relative)), 0.0, 1.0)


def _log_choose(n: np.ndarray, k: np.ndarray) -> np.ndarray:
    return special.gammaln(n + 1) - special.gammaln(k + 1) - special.gammaln(n - k + 1)


def _welch(inside: Sums, outside: Sums) -> np.ndarray:
    va, vb = inside.variance / inside.n, outside.variance / outside.n
    with np.errstate(invalid="ignore", divide="ignore"):
        t = (inside.mean - outside.mean) / np.sqrt(va + vb)
        df = (va + vb) ** 2 / (va**2 / (inside.n - 1) + vb**2 / (outside.n - 1))
    return np.where(np.isfinite(t) & np.isfinite(df), stats.t.sf(t, df), 1.0)


def band(sums: Sums, binary: bool) -> tuple[np.ndarray, np.ndarray]:
    """95% band of each slice's mean error: Wilson for rates, Student t for means."""
    if binary:
        return wilson(sums.s, sums.n)
    with np.errstate(invalid="ignore", divide="ignore"):
        half = stats.t.ppf(0.975, np.maximum(sums.n - 1, 1)) * np.sqrt(sums.variance / sums.n)
    return sums.mean - half, sums.mean + half


def wilson(k: np.ndarray, n: np.ndarray, z: float = Z95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score band of proportions ``k / n`` (sensible at 0 and 1)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return np.maximum(centre - half, 0.0), np.minimum(centre + half, 1.0)


def benjamini_hochberg(p_values: np.ndarray) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values (q-values); empty in, empty out."""
    if len(p_values) == 0:
        return np.zeros(0)
    return stats.false_discovery_control(np.clip(p_values, 0.0, 1.0), method="bh")
