from datetime import datetime, timedelta

import numpy as np
import pyarrow as pa
import pytest

from steward._exceptions import InputError, UnknownColumn
from steward.windows import Persistence, classify, parse_every, split, sustained_at


def test_count_windows_keep_file_order():
    table = pa.table({"x": np.arange(10)})
    windows, unplaced = split(table, 4)
    assert [w.rows for w, _ in windows] == [4, 4, 2]
    assert windows[1][1].column("x").to_pylist() == [4, 5, 6, 7]
    assert unplaced == 0


def test_count_windows_follow_timestamp_order():
    stamps = [datetime(2026, 1, 1) + timedelta(hours=h) for h in (3, 1, 2, 0)]
    table = pa.table({"ts": stamps, "x": [3, 1, 2, 0]})
    windows, _ = split(table, 2, timestamp="ts")
    assert [part.column("x").to_pylist() for _, part in windows] == [[0, 1], [2, 3]]


def test_weekly_windows_start_on_monday():
    start = datetime(2026, 1, 1)  # a Thursday
    stamps = [start + timedelta(days=d) for d in range(14)]
    windows, _ = split(pa.table({"ts": stamps, "x": range(14)}), "1W", timestamp="ts")
    assert [w.start for w, _ in windows] == [
        "2025-12-29T00:00:00",
        "2026-01-05T00:00:00",
        "2026-01-12T00:00:00",
    ]
    assert [w.rows for w, _ in windows] == [4, 7, 3]
    assert windows[0][0].end == "2026-01-05T00:00:00"


def test_hourly_and_daily_periods():
    stamps = [datetime(2026, 1, 1) + timedelta(minutes=20 * i) for i in range(9)]
    table = pa.table({"ts": stamps})
    assert [w.rows for w, _ in split(table, "1h", "ts")[0]] == [3, 3, 3]
    assert [w.rows for w, _ in split(table, "1D", "ts")[0]] == [9]
    assert [w.rows for w, _ in split(table, "30min", "ts")[0]] == [2, 1, 2, 1, 2, 1]


def test_rows_without_timestamp_are_counted_not_dropped_silently():
    table = pa.table({"ts": [datetime(2026, 1, 1), None, datetime(2026, 1, 2)]})
    windows, unplaced = split(table, "1D", "ts")
    assert unplaced == 1
    assert sum(w.rows for w, _ in windows) == 2


@pytest.mark.parametrize("bad", ["0", "fortnight", "1 parsec", -3])
def test_bad_window_specs_are_clear_errors(bad):
    with pytest.raises(InputError):
        parse_every(bad)


def test_period_needs_timestamp_and_known_column():
    table = pa.table({"x": [1, 2]})
    with pytest.raises(InputError, match="timestamp"):
        split(table, "1D")
    with pytest.raises(UnknownColumn, match="nope"):
        split(table, "1D", "nope")


def test_transient_and_sustained():
    assert classify([False] * 5) == "none"
    assert classify([False, True, False, False, False]) == "transient"
    assert classify([True, False, True, False, True, False]) == "transient"  # 2 of 4 at most
    assert classify([False, True, True, True, False]) == "sustained"
    assert classify([True, True, False, True]) == "sustained"  # 3 of the last 4
    assert classify([True, True], Persistence(k=2, n=3)) == "sustained"


def test_sustained_at_marks_each_window():
    flags = np.array([1, 1, 0, 1, 0, 0, 0, 1])
    assert sustained_at(flags, Persistence()).tolist() == [
        False,
        False,
        False,
        True,
        False,
        False,
        False,
        False,
    ]
