"""Per-feature tail probabilities from the reference, as scores ``-log10 p``.

For a numeric value the score is ``-log10`` of its two-sided empirical tail probability:
``2 · min(P(X ≤ x), P(X ≥ x))``, read from reference quantiles on a log-spaced grid of tail
levels (from ``1/(n+1)`` to the median) and, beyond the most extreme quantile, from an
exponential tail fitted to the outer grid points, so values past the reference range still
rank by distance. Discrete columns keep the largest level at a repeated quantile, so a common
value is never called rare.

For a category the probability is the reference share of all categories at most as common
(a rare category among rare ones is not extreme). Missing values and infinities are treated
like categories of their own. Anything never seen in the reference (a new category, a
missing value in a column that had none) gets half an observation: ``0.5 / (n + 1)``.

Scores are capped at ``MAX_SCORE`` (p = 1e-30), so one absurd value cannot overflow a sum.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from functools import cached_property
from typing import Any

import numpy as np
import pyarrow as pa

from steward.checks.outliers._columns import booleans, categories, numbers
from steward.schema import Column, Kind

LEVELS = 40
MAX_SCORE = 30.0
MAX_CATEGORIES = 1000


@dataclass(frozen=True)
class NumericTail:
    """Tail levels, the reference quantiles at them, and exponential tails beyond."""

    name: str
    levels: tuple[float, ...]  # ascending, 1/(n+1) … 0.5
    lower: tuple[float, ...]  # quantiles at ``levels``
    upper: tuple[float, ...]  # quantiles at ``1 - levels``
    lower_scale: float
    upper_scale: float
    missing: float
    positive_infinity: float
    negative_infinity: float

    @classmethod
    def fit(cls, name: str, values: np.ndarray) -> NumericTail:
        unseen = 0.5 / (len(values) + 1)
        finite = values[np.isfinite(values)]
        shares = [_share(mask, unseen) for mask in _non_finite(values)]
        if len(finite) == 0:
            return cls(name, (0.5,), (0.0,), (0.0,), 1e-12, 1e-12, *shares)  # any value is new
        levels = np.geomspace(1.0 / (len(finite) + 1), 0.5, LEVELS)
        lower = np.quantile(finite, levels)
        upper = np.quantile(finite, 1.0 - levels)
        tiny = 1e-12 * max(1.0, float(np.max(np.abs(finite))))
        lower_scale = _tail_scale(lower, levels, tiny)
        upper_scale = _tail_scale(-upper, levels, tiny)
        grid = (_tuple(levels), _tuple(lower), _tuple(upper))
        return cls(name, *grid, lower_scale, upper_scale, *shares)

    @cached_property
    def _grid(self) -> tuple[np.ndarray, np.ndarray]:
        """Ascending x and log one-sided level (``P(X ≤ x)`` below the median, ``P(X ≥ x)``
        above); a repeated quantile keeps its largest level, so common values stay common."""
        levels = np.log(self.levels)
        lower, first_low = np.unique(np.asarray(self.lower)[::-1], return_index=True)
        upper, first_up = np.unique(np.asarray(self.upper)[::-1], return_index=True)
        low_levels = levels[::-1][first_low]
        up_levels = levels[::-1][first_up]
        return np.concatenate([lower, upper]), np.concatenate([low_levels, up_levels])

    def p_values(self, values: np.ndarray) -> np.ndarray:
        """Two-sided tail probability of each value (NaN and infinities by their share)."""
        x, log_level = self._grid
        one_sided = np.exp(np.interp(values, x, log_level))
        below = np.minimum(values - self.lower[0], 0.0) / self.lower_scale
        above = np.minimum(self.upper[0] - values, 0.0) / self.upper_scale
        p = np.minimum(1.0, 2.0 * one_sided * np.exp(below + above))
        if np.isfinite(values).all():
            return p
        p = np.where(np.isnan(values), self.missing, p)
        p = np.where(values == np.inf, self.positive_infinity, p)
        return np.where(values == -np.inf, self.negative_infinity, p)


@dataclass(frozen=True)
class CategoryTail:
    """The tail mass of each reference category; ``other`` for anything not kept."""

    name: str
    tails: dict[str, float]
    missing: float
    other: float

    @classmethod
    def fit(cls, name: str, labels: list[str], codes: np.ndarray) -> CategoryTail:
        rows = len(codes)
        counts = np.bincount(codes + 1, minlength=len(labels) + 1)  # slot 0 holds nulls
        mass = _tail_mass(counts) / max(rows, 1)
        unseen = 0.5 / (rows + 1)
        order = np.argsort(-counts[1:], kind="stable")
        kept, dropped = order[:MAX_CATEGORIES], order[MAX_CATEGORIES:]
        other = max(unseen, float(mass[dropped + 1].max())) if len(dropped) else unseen
        tails = {labels[i]: float(mass[i + 1]) for i in kept}
        return cls(name, tails, float(mass[0]) if counts[0] else unseen, other)

    def p_values(self, labels: list[str], codes: np.ndarray) -> np.ndarray:
        lookup = [self.tails.get(label, self.other) for label in labels]
        return np.asarray([*lookup, self.missing])[codes]  # code -1 (null) takes the last


@dataclass(frozen=True)
class Tails:
    """Tail models of the feature columns, in column order."""

    models: tuple[NumericTail | CategoryTail, ...]

    @classmethod
    def fit(cls, table: pa.Table, columns: tuple[Column, ...]) -> Tails:
        models: list[NumericTail | CategoryTail] = []
        for column in columns:
            if column.kind is Kind.NUMERIC:
                values = numbers(table.column(column.name), column.name)
                models.append(NumericTail.fit(column.name, values))
            else:
                models.append(CategoryTail.fit(column.name, *_labelled(table, column)))
        return cls(tuple(models))

    @property
    def names(self) -> list[str]:
        return [m.name for m in self.models]

    def scores(self, table: pa.Table, columns: tuple[Column, ...]) -> np.ndarray:
        """``-log10 p`` per row (rows) and feature (columns), capped at ``MAX_SCORE``."""
        out = np.zeros((table.num_rows, len(self.models)), order="F")
        for j, (model, column) in enumerate(zip(self.models, columns, strict=True)):
            out[:, j] = _score(p_values(model, table, column))
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"models": [_model_to_dict(m) for m in self.models]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Tails:
        return cls(tuple(_model_from_dict(m) for m in data["models"]))


def p_values(model: NumericTail | CategoryTail, table: pa.Table, column: Column) -> np.ndarray:
    """Tail probability of each row's value of ``column`` under ``model``."""
    if isinstance(model, NumericTail):
        return model.p_values(numbers(table.column(column.name), column.name))
    return model.p_values(*_labelled(table, column))


def _labelled(table: pa.Table, column: Column) -> tuple[list[str], np.ndarray]:
    if column.kind is Kind.BOOLEAN:
        values = booleans(table.column(column.name), column.name)
        codes = np.where(np.isnan(values), -1, np.nan_to_num(values)).astype(np.int64)
        return ["false", "true"], codes
    return categories(table.column(column.name))


def _score(p: np.ndarray) -> np.ndarray:
    return np.minimum(-np.log10(np.clip(p, 1e-300, 1.0)), MAX_SCORE)


def _non_finite(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return np.isnan(values), values == np.inf, values == -np.inf


def _share(mask: np.ndarray, unseen: float) -> float:
    count = int(np.count_nonzero(mask))
    return count / len(mask) if count else unseen


def _tail_scale(quantiles: np.ndarray, levels: np.ndarray, tiny: float) -> float:
    """Scale of an exponential tail, from the grid points ~10 and ~100 observations in.

    Those two are far enough in to be stable; the tail then starts at the outermost point.
    """
    anchor = _index(levels, 10 * levels[0])
    inner = _index(levels, 100 * levels[0])
    if inner == anchor:
        anchor, inner = 0, len(levels) - 1
    if inner == anchor:
        return tiny
    rise = (quantiles[inner] - quantiles[anchor]) / np.log(levels[inner] / levels[anchor])
    return float(max(rise, tiny))


def _index(levels: np.ndarray, level: float) -> int:
    return min(int(np.searchsorted(levels, level)), len(levels) - 1)


def _tail_mass(counts: np.ndarray) -> np.ndarray:
    """For each slot: the total count of slots at most as common as it."""
    order = np.argsort(counts, kind="stable")
    ordered = counts[order]
    cumulative = np.cumsum(ordered)
    last_tie = np.searchsorted(ordered, ordered, side="right") - 1
    mass = np.empty(len(counts), dtype=float)
    mass[order] = cumulative[last_tie]
    return mass


def _tuple(values: np.ndarray) -> tuple[float, ...]:
    return tuple(float(v) for v in values)


def _model_to_dict(model: NumericTail | CategoryTail) -> dict[str, Any]:
    kind = "numeric" if isinstance(model, NumericTail) else "category"
    values = {f.name: getattr(model, f.name) for f in fields(model)}
    return {"kind": kind, **{k: list(v) if isinstance(v, tuple) else v for k, v in values.items()}}


def _model_from_dict(data: dict[str, Any]) -> NumericTail | CategoryTail:
    values: dict[str, Any] = {
        k: tuple(v) if isinstance(v, list) else v for k, v in data.items() if k != "kind"
    }
    return NumericTail(**values) if data["kind"] == "numeric" else CategoryTail(**values)
