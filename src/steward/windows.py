"""Windows: slices of production rows by count or by time period, and drift persistence.

``split(table, every=5000)`` cuts rows in file order (or timestamp order when a timestamp
column is named); ``split(table, every="1W", timestamp="ts")`` cuts calendar periods
(``30min``, ``1h``, ``1D``, ``1W`` — weeks start on Monday, UTC). A column drifting in ``k``
of the last ``n`` windows is *sustained*; drift that never persists is *transient*.

>>> classify([False, True, False, False])
'transient'
>>> classify([False, True, True, False, True])
'sustained'
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from datetime import datetime, timezone

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from steward._exceptions import InputError, UnknownColumn
from steward.profile.datetime import to_micros

_PERIOD = re.compile(
    r"^\s*(\d*)\s*(min|minute|minutes|h|hour|hours|d|day|days|w|week|weeks)\s*$", re.IGNORECASE
)
_UNITS = {
    "min": "minute",
    "minute": "minute",
    "minutes": "minute",
    "h": "hour",
    "hour": "hour",
    "hours": "hour",
    "d": "day",
    "day": "day",
    "days": "day",
    "w": "week",
    "week": "week",
    "weeks": "week",
}


@dataclass(frozen=True)
class Window:
    index: int
    label: str
    rows: int
    start: str | None = None  # ISO 8601, inclusive
    end: str | None = None  # ISO 8601, exclusive

    def to_dict(self) -> dict[str, object]:
        return {
            "index": self.index,
            "label": self.label,
            "start": self.start,
            "end": self.end,
            "rows": self.rows,
        }


@dataclass(frozen=True)
class Persistence:
    """Sustained means ``k`` drifting windows among the last ``n``."""

    k: int = 3
    n: int = 4

    def __post_init__(self) -> None:
        if not 1 <= self.k <= self.n:
            raise InputError(f"persistence needs 1 <= k <= n, got k={self.k}, n={self.n}")


def parse_every(every: int | str) -> int | tuple[int, str]:
    """A row count, or a ``(multiple, unit)`` period such as ``(1, "week")``."""
    if isinstance(every, (int, np.integer)) or (isinstance(every, str) and every.isdigit()):
        count = int(every)
        if count < 1:
            raise InputError(f"a window needs at least one row, not {count}")
        return count
    match = _PERIOD.match(str(every))
    if not match:
        raise InputError(
            f"unknown window {every!r}: give a row count or a period like 1h, 1D, 1W, 30min"
        )
    multiple = int(match.group(1) or 1)
    if multiple < 1:
        raise InputError(f"window period must be positive, not {every!r}")
    return multiple, _UNITS[match.group(2).lower()]


def split(
    table: pa.Table, every: int | str, timestamp: str | None = None
) -> tuple[list[tuple[Window, pa.Table]], int]:
    """Cut ``table`` into windows; returns the windows and how many rows had no timestamp."""
    spec = parse_every(every)
    unplaced = 0
    if timestamp is not None:
        if timestamp not in table.column_names:
            raise UnknownColumn(
                f"unknown timestamp column {timestamp!r}; the data has {table.column_names}"
            )
        micros = to_micros(table.column(timestamp))
        unplaced = micros.null_count
        order = pc.array_sort_indices(micros, null_placement="at_end")
        table = table.take(order)
        micros = micros.take(order)
        if unplaced:
            table, micros = (
                table.slice(0, len(table) - unplaced),
                micros.slice(0, len(micros) - unplaced),
            )
        if isinstance(spec, tuple):
            return _by_period(table, micros, spec), unplaced
    if isinstance(spec, tuple):
        raise InputError("a time-period window needs a timestamp column (--timestamp)")
    return _by_count(table, spec), unplaced


def _by_count(table: pa.Table, size: int) -> list[tuple[Window, pa.Table]]:
    windows = []
    for index, start in enumerate(range(0, max(table.num_rows, 1), size)):
        part = table.slice(start, size)
        if part.num_rows == 0:
            break
        label = f"rows {start + 1}–{start + part.num_rows}"
        windows.append((Window(index, label, part.num_rows), part))
    return windows


def _by_period(
    table: pa.Table, micros: pa.ChunkedArray, spec: tuple[int, str]
) -> list[tuple[Window, pa.Table]]:
    multiple, unit = spec
    stamps = pc.cast(micros, pa.timestamp("us"))
    floors = pc.floor_temporal(stamps, multiple=multiple, unit=unit, week_starts_monday=True)
    keys = pc.cast(floors, pa.int64()).to_numpy()
    if len(keys) == 0:
        return []
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    bounds = np.r_[starts, len(keys)]
    step = _period_micros(multiple, unit)
    windows = []
    for index, (lo, hi) in enumerate(itertools.pairwise(bounds)):
        begin = int(keys[lo])
        window = Window(index, _label(begin, unit), int(hi - lo), _iso(begin), _iso(begin + step))
        windows.append((window, table.slice(int(lo), int(hi - lo))))
    return windows


def _period_micros(multiple: int, unit: str) -> int:
    seconds = {"minute": 60, "hour": 3600, "day": 86400, "week": 7 * 86400}[unit]
    return multiple * seconds * 1_000_000


def _iso(micros: int) -> str:
    return datetime.fromtimestamp(micros / 1e6, tz=timezone.utc).replace(tzinfo=None).isoformat()


def _label(micros: int, unit: str) -> str:
    moment = datetime.fromtimestamp(micros / 1e6, tz=timezone.utc)
    return moment.strftime("%Y-%m-%d %H:%M" if unit in ("minute", "hour") else "%Y-%m-%d")


def classify(drifted: list[bool], persistence: Persistence | None = None) -> str:
    """``sustained``, ``transient`` or ``none`` for one column's per-window drift flags."""
    rule = persistence or Persistence()
    flags = np.asarray(drifted, dtype=int)
    if flags.sum() == 0:
        return "none"
    return "sustained" if sustained_at(flags, rule).any() else "transient"


def sustained_at(flags: np.ndarray, rule: Persistence) -> np.ndarray:
    """For each window: does it drift with ``k`` of the last ``n`` windows drifting?"""
    flags = np.asarray(flags, dtype=int)
    window_sums = np.convolve(flags, np.ones(rule.n, dtype=int))[: len(flags)]
    return (window_sums >= rule.k) & (flags == 1)
