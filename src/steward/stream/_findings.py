"""Detections as findings, so reports show them next to the window they fall in.

>>> from steward.stream import detect, detections_to_findings
>>> errors = [0, 0, 0, 0, 1] * 100 + [1, 1, 0] * 30
>>> found = detect("ddm", errors)
>>> [(d.index, round(d.statistic, 2)) for d in found]
[(537, 3.03)]
>>> finding = detections_to_findings("ddm", found, lambda i: i // 100)[0]
>>> finding.check, finding.window, finding.verdict.value, finding.details
('stream.ddm', 5, 'fail', {'index': 537, 'window': 5})
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from steward._exceptions import InputError
from steward.findings import Finding, Verdict
from steward.stream._base import Detector
from steward.stream._registry import create, get


@dataclass(frozen=True)
class Detection:
    """One drift signal: its position in the stream and the statistic at that item."""

    index: int
    statistic: float | None = None
    threshold: float | None = None


def detect(detector: Detector | str, values: Any, **params: Any) -> list[Detection]:
    """Run ``detector`` (an instance, or a registered name and its parameters) on ``values``."""
    if isinstance(detector, str):
        detector = create(detector, **params)
    elif params:
        raise InputError("detect: pass parameters with a detector name, not with an instance")
    indices, statistics = detector._scan(values)
    return [
        Detection(int(i), float(s), detector.critical_value)
        for i, s in zip(indices.tolist(), statistics, strict=True)
    ]


def detections_to_findings(
    name: str,
    detections: Iterable[Detection | int],
    window_of_index: Callable[[int], int | None] | Sequence[int] | np.ndarray | None = None,
    column: str | None = None,
) -> list[Finding]:
    """One failing ``stream.<name>`` finding per detection, placed in its window.

    ``window_of_index`` maps a stream position to its window: a function, or a sequence
    with one window number per position (``None``: no window). ``column`` names the
    stream (``None`` for the model's own error stream).
    """
    info = get(name)
    window = _lookup(window_of_index)
    out = []
    for detection in detections:
        if not isinstance(detection, Detection):
            detection = Detection(int(detection))
        w = window(detection.index)
        out.append(
            Finding(
                check=info.check_name,
                column=column,
                statistic=detection.statistic,
                verdict=Verdict.FAIL,
                threshold=detection.threshold,
                window=w,
                message=f"{name} detected a change at item {detection.index}",
                details={"index": detection.index, "window": w},
            )
        )
    return out


def findings_for_windows(
    name: str, windows: Sequence[Any], column: str | None = None, **params: Any
) -> list[Finding]:
    """Run a detector over a window series' per-row error arrays, in order, as findings."""
    arrays = [np.asarray(w, dtype=np.float64).ravel() for w in windows]
    owner = np.repeat(np.arange(len(arrays)), [len(a) for a in arrays])
    values = np.concatenate(arrays) if arrays else np.zeros(0)
    return detections_to_findings(name, detect(name, values, **params), owner, column)


def _lookup(
    window_of_index: Callable[[int], int | None] | Sequence[int] | np.ndarray | None,
) -> Callable[[int], int | None]:
    if window_of_index is None:
        return lambda i: None
    if callable(window_of_index):
        return lambda i: None if (w := window_of_index(i)) is None else int(w)
    table = np.asarray(window_of_index)

    def lookup(i: int) -> int:
        if not 0 <= i < len(table):
            raise InputError(f"detection at item {i} is outside the {len(table)} windowed rows")
        return int(table[i])

    return lookup
