"""Lookups over a report dict (docs/report-schema.md): which findings, which leads, in what order.

Shared by the rows of ``_view`` and the figures of the HTML report; nothing here builds rows or
formats text.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Iterable
from typing import Any

SEVERITY = {"ok": 0, "unreliable": 1, "warn": 2, "fail": 3}


Finding = dict[str, Any]


def findings_of(report: dict[str, Any], family: str) -> list[Finding]:
    """Findings of a family (``drift``) or of one check (``segment.worst``)."""
    found = report.get("findings", [])
    return [f for f in found if f.get("check") == family or _in_family(f, family)]


def details(finding: Finding) -> dict[str, Any]:
    value = finding.get("details")
    return value if isinstance(value, dict) else {}


def short_check(check: Any) -> str:
    """``drift.ks`` → ``ks``: a section's title already names the family."""
    return str(check).split(".", 1)[-1]


def overall(found: list[Finding]) -> list[Finding]:
    """The findings on all current rows if there are any, else those of the latest window."""
    if not found:
        return []
    window = headline(found).get("window")
    return [f for f in found if f.get("window") == window]


def headline(found: list[Finding]) -> Finding:
    """The finding on all current rows (``window`` null) if there is one, else the latest."""
    return max(found, key=recency)


def window_labels(report: dict[str, Any]) -> dict[int, str]:
    windows = enumerate(report.get("windows", []))
    return {w.get("index", i): str(w.get("label", w.get("index", i))) for i, w in windows}


def column_kind(report: dict[str, Any], name: str) -> str:
    column = report.get("columns", {}).get(name)
    if column and column.get("kind"):
        return str(column["kind"])
    schema = report.get("schema", {}).get("columns", [])
    return next((str(c.get("kind")) for c in schema if c.get("name") == name), "")


def _in_family(finding: Finding, family: str) -> bool:
    return str(finding.get("check", "")).startswith(family + ".")


def grouped(found: Iterable[Finding], key: Callable[[Finding], Hashable]) -> list[list[Finding]]:
    groups: dict[Hashable, list[Finding]] = {}
    for finding in found:
        groups.setdefault(key(finding), []).append(finding)
    return list(groups.values())


def worst(found: list[Finding]) -> Finding:
    return max(found, key=lambda f: (SEVERITY.get(str(f.get("verdict")), 0), recency(f)))


def worst_first(rows: Iterable[Any]) -> list[Any]:
    return sorted(rows, key=lambda row: -SEVERITY.get(row.verdict, 0))


def failed_windows(found: list[Finding], labels: dict[int, str]) -> list[str]:
    failed = sorted(f["window"] for f in found if f.get("window") is not None and is_problem(f))
    return [labels.get(window, str(window)) for window in failed]


def windowed(found: list[Finding]) -> bool:
    return any(f.get("window") is not None for f in found)


def is_problem(finding: Finding) -> bool:
    return finding.get("verdict") in ("warn", "fail")


def recency(finding: Finding) -> float:
    """All current rows (``window`` null) before any window, then later windows first."""
    window = finding.get("window")
    return math.inf if window is None else float(window)


def number(values: dict[str, Any], key: str, default: float = 0.0) -> float:
    value = values.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return default
    return float(value) if math.isfinite(value) else default
