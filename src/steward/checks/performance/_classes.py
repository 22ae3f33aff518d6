"""The view of a classifier's aggregates that the classification metrics read.

It holds the one-vs-rest histograms of each score column and draws the bootstrap
resamples once, so every metric of a window shares them: the confusion matrix is resampled
as one multinomial table, each score column's positive/negative histograms as another.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from steward.checks.performance._bands import resample
from steward.profile.model import ClassCounts


@dataclass(frozen=True)
class OneVsRest:
    """One score column: histograms of its class's rows and of all other known rows.

    ``*_sums`` hold the sums of scores per calibration bin, for calibration error.
    """

    positives: np.ndarray
    negatives: np.ndarray
    positive_sums: np.ndarray
    negative_sums: np.ndarray

    @property
    def defined(self) -> bool:
        """Both sides have rows: ROC AUC exists."""
        return bool(self.positives.sum() and self.negatives.sum())

    @property
    def table(self) -> np.ndarray:
        return np.stack([self.positives, self.negatives])


class ClassView:
    """A classifier's aggregates with the settings of one evaluation (band, draws, seed)."""

    def __init__(
        self, counts: ClassCounts, confidence: float, draws: int, seed: int, name: str = ""
    ) -> None:
        self.counts = counts
        self.confidence = confidence
        self.draws = draws
        self.seed = seed
        self.name = name

    @property
    def binary(self) -> bool:
        return self.counts.positive is not None

    @property
    def positive(self) -> int:
        return self.counts.classes.index(self.counts.positive)  # type: ignore[arg-type]

    @property
    def confusion(self) -> np.ndarray:
        return self.counts.confusion

    @cached_property
    def present(self) -> np.ndarray:
        """Known classes that occur as truth or prediction in this window (macro averages)."""
        k = len(self.counts.classes)
        c = self.confusion
        return (c[:k, :].sum(axis=1) + c[:, :k].sum(axis=0)) > 0

    def rng(self, stream: int) -> np.random.Generator:
        return np.random.default_rng([self.seed, zlib.crc32(self.name.encode()), stream])

    @cached_property
    def confusion_draws(self) -> np.ndarray:
        """Resampled confusion matrices, shape ``(draws, K + 1, K + 1)``."""
        return resample(self.confusion, self.draws, self.rng(0))

    @cached_property
    def columns(self) -> list[OneVsRest]:
        return [self._one_vs_rest(j) for j in range(len(self.counts.score_columns))]

    def _one_vs_rest(self, j: int) -> OneVsRest:
        c = self.counts
        owner = c.score_classes[j]
        hist, sums = c.hist[:, j, :], c.score_sums[:, j, :]
        return OneVsRest(
            hist[owner], hist.sum(axis=0) - hist[owner], sums[owner], sums.sum(axis=0) - sums[owner]
        )

    @cached_property
    def column_draws(self) -> list[np.ndarray]:
        """Per score column, resampled (positives, negatives) tables: ``(draws, 2, bins)``."""
        return [
            resample(col.table, self.draws, self.rng(1 + j)) for j, col in enumerate(self.columns)
        ]
