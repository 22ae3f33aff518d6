"""Central moments that merge exactly (Chan et al. / Pébay pairwise formulas)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Moments:
    """Count, mean and the sums of 2nd–4th powers of deviations from the mean."""

    n: int = 0
    mean: float = 0.0
    m2: float = 0.0
    m3: float = 0.0
    m4: float = 0.0

    @classmethod
    def of(cls, values: np.ndarray) -> Moments:
        n = len(values)
        if n == 0:
            return cls()
        mean = float(np.mean(values))
        d = values - mean
        d2 = d * d
        return cls(n, mean, float(d2.sum()), float((d2 * d).sum()), float((d2 * d2).sum()))

    def merge(self, other: Moments) -> Moments:
        if other.n == 0:
            return self
        if self.n == 0:
            return other
        na, nb = self.n, other.n
        n = na + nb
        delta = other.mean - self.mean
        mean = self.mean + delta * nb / n
        m2 = self.m2 + other.m2 + delta**2 * na * nb / n
        m3 = (
            self.m3
            + other.m3
            + delta**3 * na * nb * (na - nb) / n**2
            + 3 * delta * (na * other.m2 - nb * self.m2) / n
        )
        m4 = (
            self.m4
            + other.m4
            + delta**4 * na * nb * (na * na - na * nb + nb * nb) / n**3
            + 6 * delta**2 * (na * na * other.m2 + nb * nb * self.m2) / n**2
            + 4 * delta * (na * other.m3 - nb * self.m3) / n
        )
        return Moments(n, mean, m2, m3, m4)

    @property
    def variance(self) -> float:
        """Sample variance (ddof=1), NaN below two values."""
        return self.m2 / (self.n - 1) if self.n > 1 else float("nan")

    @property
    def std(self) -> float:
        return float(np.sqrt(self.variance)) if self.n > 1 else float("nan")

    @property
    def skewness(self) -> float:
        if self.n < 2 or self.m2 == 0:
            return float("nan")
        return float(np.sqrt(self.n) * self.m3 / self.m2**1.5)

    @property
    def kurtosis(self) -> float:
        """Excess kurtosis (Fisher), as ``scipy.stats.kurtosis`` with ``bias=True``."""
        if self.n < 2 or self.m2 == 0:
            return float("nan")
        return float(self.n * self.m4 / self.m2**2 - 3.0)
