"""Short, stable text for the values of a report: numbers, shares, bands and feature lists.

The HTML and terminal renderers both show values through these, so a number reads the same
wherever it appears.
"""

from __future__ import annotations

import math
from typing import Any

from steward.report._findings import Finding


def format_number(value: Any) -> str:
    """Short, stable text for a number: ``1,234``, ``41.2``, ``0.34``, ``1.2e-09``."""
    if value is None:
        return "–"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, float) and not math.isfinite(value):
        return "–"
    if isinstance(value, int) or abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.4g}" if abs(value) >= 1 else f"{value:.3g}"


def format_share(value: Any) -> str:
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return "–" if value is None else str(value)
    return f"{value * 100:.3g}%"


def format_band(finding: Finding | None) -> str:
    """``0.86 [0.84, 0.88]``: a value with its 95% band, ``–`` without a finding."""
    if finding is None:
        return "–"
    value = format_number(finding.get("statistic"))
    lower, upper = finding.get("lower"), finding.get("upper")
    if lower is None and upper is None:
        return value
    return f"{value} [{format_number(lower)}, {format_number(upper)}]"


def feature_names(value: Any) -> list[str]:
    """``top_features`` as text: names, or ``name (importance)`` for ``{feature, importance}``."""
    if not isinstance(value, list):
        return [] if value is None else [str(value)]
    return [_feature_name(item) for item in value]


def _feature_name(item: Any) -> str:
    if isinstance(item, dict):
        name = item.get("feature", "?")
        importance = item.get("importance")
        return str(name) if importance is None else f"{name} ({format_number(importance)})"
    return str(item)
