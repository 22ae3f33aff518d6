"""Realised metrics: the value type, the metric descriptors and their registry.

A metric is one function from a task view (:class:`~._classes.ClassView` or
:class:`~._regression.ErrorView`) to a :class:`Metric`, plus one :func:`metric` decorator
next to it that names it and sets its default allowed degradation.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from steward._registry import Registry

CLASSIFICATION = frozenset({"binary", "multiclass"})
REGRESSION = frozenset({"regression"})
MIN_ROWS = 30


@dataclass(frozen=True)
class Metric:
    """A realised metric of one window: value, band, rows used, label coverage.

    ``n`` counts the rows the metric is computed on; ``coverage`` is the window's share of
    labelled rows; ``method`` names how the band was drawn.
    """

    value: float
    lower: float
    upper: float
    n: int
    coverage: float = math.nan
    method: str = ""


def banded(
    value: float,
    band: tuple[float, float],
    n: int,
    method: str,
    bounds: tuple[float, float] = (0.0, 1.0),
    min_rows: int = MIN_ROWS,
) -> Metric:
    """A metric whose band is clipped to the metric's range and contains its value.

    Below ``min_rows`` rows the band is the whole range: bootstrap and normal bands are not
    to be trusted on a handful of rows (one row would give a band of width zero).
    """
    if n < min_rows:
        band, method = bounds, f"whole range (fewer than {min_rows} rows)"
    low, high = bounds
    lower = min(max(band[0], low), value) if not math.isnan(band[0]) else math.nan
    upper = max(min(band[1], high), value) if not math.isnan(band[1]) else math.nan
    return Metric(float(value), float(lower), float(upper), int(n), method=method)


@dataclass(frozen=True)
class MetricSpec:
    """A registered metric: its name, tasks, direction and default allowed degradation.

    ``max_drop`` is absolute, or a share of the reference value when ``relative``.
    """

    name: str
    tasks: frozenset[str]
    higher_is_better: bool
    max_drop: float
    relative: bool
    compute: Callable[[Any], Metric | None]
    description: str = ""

    @property
    def check_name(self) -> str:
        return f"performance.{self.name}"


REGISTRY: Registry[MetricSpec] = Registry("performance metric")


def metric(
    name: str,
    tasks: frozenset[str],
    *,
    higher_is_better: bool,
    max_drop: float,
    relative: bool = False,
) -> Callable[[Callable[[Any], Metric | None]], Callable[[Any], Metric | None]]:
    """Register the decorated function as metric ``name``."""

    def register(compute: Callable[[Any], Metric | None]) -> Callable[[Any], Metric | None]:
        doc = (compute.__doc__ or "").strip().splitlines()
        REGISTRY.register(
            name,
            MetricSpec(
                name, tasks, higher_is_better, max_drop, relative, compute, doc[0] if doc else ""
            ),
        )
        return compute

    return register


def get(name: str) -> MetricSpec:
    return REGISTRY.lookup(name)
