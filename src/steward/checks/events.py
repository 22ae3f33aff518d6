"""Extreme events: a spike that recovers (transient) versus a shift that stays (sustained).

A per-window signal — an outlier rate, a drift effect size — is *up* in a window when its
check failed there (``flags``) or, without flags, when it reaches ``ratio × baseline``.
Each window is then labelled:

* ``sustained_shift`` — up, and part of a run where ``k`` of ``n`` consecutive windows are up
  (the rule of :func:`steward.windows.classify`), including the run's first windows;
* ``transient_event`` — up, not sustained, and followed by a window that is not up (a spike
  of one or two windows that recovered);
* ``unresolved`` — up, not sustained, and still up in the last window: too early to say;
* ``normal`` — not up.

Alerts follow the sustained signal; transient events are shown, on the same timeline, so a
one-off burst is visible without paging anyone.

>>> [w["label"] for w in classify_events([0.01, 0.09, 0.01, 0.01, 0.01], baseline=0.01)]
['normal', 'transient_event', 'normal', 'normal', 'normal']
>>> [w["label"] for w in classify_events([0.01, 0.05, 0.05, 0.06, 0.05], baseline=0.01)]
['normal', 'sustained_shift', 'sustained_shift', 'sustained_shift', 'sustained_shift']
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from steward._exceptions import InputError
from steward.findings import Finding, Verdict
from steward.windows import Persistence, Window, sustained_at

NORMAL = "normal"
TRANSIENT = "transient_event"
SUSTAINED = "sustained_shift"
UNRESOLVED = "unresolved"
_KINDS = {TRANSIENT: "transient", SUSTAINED: "sustained", UNRESOLVED: "unresolved"}


def classify_events(
    series: Sequence[float | None] | np.ndarray,
    baseline: float,
    flags: Sequence[bool] | np.ndarray | None = None,
    k: int = 3,
    n: int = 4,
    ratio: float = 2.0,
) -> list[dict[str, Any]]:
    """One ``{"window", "value", "up", "label"}`` per window of ``series``."""
    values = _values(series)
    up = _up(values, baseline, flags, ratio)
    labels = _labels(up, Persistence(k, n))
    return [
        {"window": i, "value": _number(v), "up": bool(u), "label": label}
        for i, (v, u, label) in enumerate(zip(values, up, labels, strict=True))
    ]


def event_findings(
    name: str,
    series: Sequence[float | None] | np.ndarray,
    windows: Sequence[int] | Sequence[Window] | None = None,
    *,
    baseline: float,
    flags: Sequence[bool] | np.ndarray | None = None,
    column: str | None = None,
    k: int = 3,
    n: int = 4,
    ratio: float = 2.0,
) -> list[Finding]:
    """One ``outlier.event`` finding per event (a run of windows with one non-normal label).

    ``windows`` maps positions in ``series`` to window indices (default ``0, 1, …``).
    Sustained shifts fail; transient and unresolved events warn.
    """
    labelled = classify_events(series, baseline, flags, k, n, ratio)
    indices = _indices(windows, len(labelled))
    return [
        _finding(name, column, run, labelled, indices, baseline)
        for run in _runs([w["label"] for w in labelled])
    ]


def events_from_findings(
    findings: Sequence[Finding], check: str, column: str | None = None, k: int = 3, n: int = 4
) -> list[Finding]:
    """Events of one windowed check (e.g. ``outlier.isolation_forest`` or ``drift.ks`` on a
    column): the statistic per window is the signal and a failed verdict marks it up."""
    chosen = sorted(
        (f for f in findings if f.check == check and f.column == column and f.window is not None),
        key=lambda f: f.window or 0,
    )
    if not chosen:
        return []
    thresholds = [f.threshold for f in chosen if f.threshold is not None]
    return event_findings(
        check if column is None else f"{check}:{column}",
        [f.statistic for f in chosen],
        [f.window or 0 for f in chosen],
        baseline=float(np.median(thresholds)) if thresholds else 0.0,
        flags=[f.verdict is Verdict.FAIL for f in chosen],
        column=column,
        k=k,
        n=n,
    )


def _values(series: Sequence[float | None] | np.ndarray) -> np.ndarray:
    values = [math.nan if v is None else v for v in series]
    try:
        return np.asarray(values, dtype=float).reshape(-1)
    except (TypeError, ValueError) as exc:
        raise InputError(f"the event series must hold numbers: {exc}") from None


def _up(
    values: np.ndarray, baseline: float, flags: Sequence[bool] | np.ndarray | None, ratio: float
) -> np.ndarray:
    if flags is not None:
        up = np.asarray(flags, dtype=bool).reshape(-1)
        if len(up) != len(values):
            raise InputError(f"{len(up)} flags for a series of {len(values)} windows")
        return up
    if not math.isfinite(baseline):
        raise InputError(f"the baseline must be a finite number, got {baseline}")
    with np.errstate(invalid="ignore"):
        return np.nan_to_num(values, nan=-np.inf) >= ratio * baseline


def _labels(up: np.ndarray, rule: Persistence) -> list[str]:
    sustained = _sustained_windows(up, rule)
    labels = [NORMAL] * len(up)
    for start, stop in _up_runs(up):
        for i in range(start, stop):
            if sustained[i]:
                labels[i] = SUSTAINED
            else:
                labels[i] = TRANSIENT if stop < len(up) else UNRESOLVED
    return labels


def _sustained_windows(up: np.ndarray, rule: Persistence) -> np.ndarray:
    """Up windows counted by some window where ``k`` of the last ``n`` are up."""
    ends = np.flatnonzero(sustained_at(up.astype(int), rule))
    marked = np.zeros(len(up), dtype=bool)
    for end in ends:
        marked[max(0, end - rule.n + 1) : end + 1] = True
    return marked & up


def _up_runs(up: np.ndarray) -> list[tuple[int, int]]:
    edges = np.diff(np.r_[0, up.astype(int), 0])
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True))


def _runs(labels: list[str]) -> list[tuple[int, int]]:
    """``[start, stop)`` of each run of one non-normal label."""
    runs, start = [], 0
    for i in range(1, len(labels) + 1):
        if i == len(labels) or labels[i] != labels[start]:
            if labels[start] != NORMAL:
                runs.append((start, i))
            start = i
    return runs


def _finding(
    name: str,
    column: str | None,
    run: tuple[int, int],
    labelled: list[dict[str, Any]],
    indices: list[int],
    baseline: float,
) -> Finding:
    start, stop = run
    part = labelled[start:stop]
    kind = _KINDS[part[0]["label"]]
    values = [w["value"] if w["value"] is not None else -math.inf for w in part]
    peak_at = start + int(np.argmax(values))
    peak = labelled[peak_at]["value"]
    where = [indices[i] for i in range(start, stop)]
    span = f"window {where[0]}" if len(where) == 1 else f"windows {where[0]}–{where[-1]}"
    return Finding(
        check="outlier.event",
        column=column,
        statistic=peak,
        verdict=Verdict.FAIL if kind == "sustained" else Verdict.WARN,
        threshold=baseline,
        effect_size=peak / baseline if peak is not None and baseline else None,
        window=indices[peak_at],
        message=f"{name}: {kind} {'shift' if kind == 'sustained' else 'event'} in {span}"
        + (f", peak {peak:.3g}" if peak is not None else ""),
        details={
            "signal": name,
            "kind": kind,
            "windows": where,
            "peak": peak,
            "baseline": baseline,
        },
    )


def _indices(windows: Sequence[int] | Sequence[Window] | None, size: int) -> list[int]:
    if windows is None:
        return list(range(size))
    indices = [w.index if isinstance(w, Window) else int(w) for w in windows]
    if len(indices) != size:
        raise InputError(f"{len(indices)} windows for a series of {size} values")
    return indices


def _number(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None
