"""Throughput of ``steward.profile.profile`` and the cost of merging and (de)serialising.

    python bench/profile_throughput.py                   # 10,000,000 rows × 20 columns
    python bench/profile_throughput.py --rows 2000000 --chunk-rows 500000

Measures, on the synthetic tables of ``_data.py`` (generated in chunks, time excluded):

* ``profile(reference)`` in one call (bin edges and vocabularies derived from the data);
* ``profile(current, reference=ref)`` in one call (edges given: the windowed path);
* the same current rows as chunks, each profiled against ``ref`` and merged (streaming);
* ``Profile.merge`` of two chunk profiles, ``to_bytes`` and ``from_bytes``: median of
  ``--repeat`` runs, with the reservoir's share of the merge.

``+peak MB`` is the peak RSS during a phase minus the RSS before it (the input tables are
already resident), so it is the working memory of that call (Linux; see ``_measure.py``).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _data
import _measure
import pyarrow as pa

from steward.profile import Profile, profile

MB = 1024 * 1024


@dataclass(frozen=True)
class Phase:
    what: str
    rows: int
    seconds: float
    cpu_s: float
    peak_mb: float


def main() -> None:
    args = _parse()
    print(
        f"{args.rows:,} rows × {args.cols} columns, chunks of {args.chunk_rows:,} rows; "
        f"profile uses its own thread pool; machine load {_load()}"
    )
    reference = _generate(args, current=False)
    ref, first = _phase("profile(reference)", args.rows, profile, reference)
    del reference
    current = _generate(args, current=True)
    cur, second = _phase(
        "profile(current, reference=ref)", args.rows, profile, current, reference=ref
    )
    parts = [current.slice(s, args.chunk_rows) for s in range(0, args.rows, args.chunk_rows)]
    what = f"{len(parts)} chunks profiled + merged"
    streamed, third = _phase(what, args.rows, _streamed, parts, ref)
    _print_throughput([first, second, third])
    _check_streamed(cur, streamed)
    _print_costs(ref, parts, args.repeat)


def _parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--cols", type=int, default=20)
    parser.add_argument("--chunk-rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=20, help="runs of merge and (de)serialise")
    return parser.parse_args()


def _generate(args: argparse.Namespace, current: bool) -> pa.Table:
    start = time.perf_counter()
    table = pa.concat_tables(_data.chunks(args.rows, args.cols, args.chunk_rows, current=current))
    side = "current" if current else "reference"
    print(
        f"generated {side}: Arrow {table.nbytes / MB:,.0f} MB in "
        f"{time.perf_counter() - start:.1f} s (excluded)"
    )
    return table


def _phase(
    what: str, rows: int, work: Callable[..., Any], *args: Any, **kwargs: Any
) -> tuple[Any, Phase]:
    """Run ``work``; its seconds, CPU seconds and peak RSS above the RSS before it."""
    _measure.reset_peak()
    before, cpu = _measure.rss_mb(), _measure.cpu_seconds()
    start = time.perf_counter()
    result = work(*args, **kwargs)
    seconds = time.perf_counter() - start
    return result, Phase(
        what, rows, seconds, _measure.cpu_seconds() - cpu, _measure.peak_mb() - before
    )


def _streamed(parts: list[pa.Table], reference: Profile) -> Profile:
    merged = profile(parts[0], reference=reference)
    for part in parts[1:]:
        merged = merged.merge(profile(part, reference=reference))
    return merged


def _print_throughput(phases: list[Phase]) -> None:
    header = f"\n{'what':<36}{'rows':>12}{'seconds':>10}{'cpu s':>9}{'rows/s':>12}{'+peak MB':>10}"
    print(header + "\n" + "-" * (len(header) - 1))
    for p in phases:
        print(
            f"{p.what:<36}{p.rows:>12,}{p.seconds:>10.2f}{p.cpu_s:>9.2f}"
            f"{p.rows / p.seconds:>12,.0f}{p.peak_mb:>10,.0f}"
        )


def _check_streamed(whole: Profile, streamed: Profile) -> None:
    same = all(_counts(whole.columns[n]) == _counts(streamed.columns[n]) for n in whole.columns)
    print(f"streamed profile's counts equal the one-call profile's: {same}")


def _counts(column: Any) -> Any:
    counts = column.counts
    return dict(counts) if isinstance(counts, dict) else counts.tolist()


def _print_costs(ref: Profile, parts: list[pa.Table], repeat: int) -> None:
    a = profile(parts[0], reference=ref)
    b = profile(parts[-1], reference=ref)
    raw = a.to_bytes()
    costs = [
        ("Profile.merge (two chunk profiles)", lambda: a.merge(b)),
        ("  of which Reservoir.merge", lambda: a.reservoir.merge(b.reservoir)),
        ("Profile.to_bytes", a.to_bytes),
        ("Profile.from_bytes", lambda: Profile.from_bytes(raw)),
    ]
    print(
        f"\n{'operation (' + str(len(a.columns)) + ' columns)':<40}{'median ms':>10}{'min ms':>10}"
    )
    for what, work in costs:
        times = _times(work, repeat)
        print(f"{what:<40}{statistics.median(times) * 1e3:>10.1f}{min(times) * 1e3:>10.1f}")
    print(f"profile size: {len(raw) / 1024:,.0f} KiB (reservoir of {len(a.reservoir):,} rows)")


def _times(work: Callable[[], Any], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return times


def _load() -> str:
    return f"{os.getloadavg()[0]:.1f} (1-min average) on {os.cpu_count()} cores"


if __name__ == "__main__":
    main()
