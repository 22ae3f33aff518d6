"""The wide case, Steward only: many rows × many columns, streamed in chunks of rows.

Both sides are generated chunk by chunk (never whole), profiled per chunk and merged:
the reference's first chunk sets the bin edges and vocabularies, every later reference
chunk and every current chunk is profiled against it, and the merged profiles go through
the default drift verdict. Generation time (wall and CPU) is measured apart and excluded
from Steward's.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import _data
import _measure
import pyarrow as pa


def estimate_bytes(rows: int, cols: int) -> int:
    """Arrow bytes of one ``rows`` × ``cols`` table, scaled up from a 10,000-row sample."""
    sample = _data.table(10_000, cols, current=False)
    return int(sample.nbytes / 10_000 * rows)


def run(rows: int, cols: int, chunk_rows: int, seed: int = 0) -> dict[str, Any]:
    clock = dict.fromkeys(
        (
            "generate_s",
            "generate_cpu_s",
            "profile_reference_s",
            "profile_current_s",
            "merge_s",
            "check_s",
        ),
        0.0,
    )
    cpu = _measure.cpu_seconds()
    reference = _stream(rows, cols, chunk_rows, seed, None, clock)
    current = _stream(rows, cols, chunk_rows, seed, reference, clock)
    start = time.perf_counter()
    summary = _summary(reference, current)
    clock["check_s"] = time.perf_counter() - start
    steward_s = sum(v for k, v in clock.items() if not k.startswith("generate"))
    steward_cpu_s = _measure.cpu_seconds() - cpu - clock["generate_cpu_s"]
    return {
        "drifted": summary["drifted_columns"],
        "columns_checked": summary["columns_checked"],
        "steward_s": steward_s,
        "steward_cpu_s": steward_cpu_s,
        "chunks": -(-rows // chunk_rows),
        **clock,
    }


def _summary(reference: Any, current: Any) -> dict[str, Any]:
    from steward.checks.drift_verdict import check_drift
    from steward.report.report import Report

    return Report(reference, current, check_drift(reference, current)).summary


def _stream(
    rows: int, cols: int, chunk_rows: int, seed: int, reference: Any, clock: dict[str, float]
) -> Any:
    from steward.profile import profile

    side = "profile_current_s" if reference is not None else "profile_reference_s"
    merged = None
    for chunk in _timed(
        _data.chunks(rows, cols, chunk_rows, current=reference is not None, seed=seed), clock
    ):
        start = time.perf_counter()
        part = profile(chunk, reference=reference)
        clock[side] += time.perf_counter() - start
        if merged is None:
            merged, reference = part, reference or part
            continue
        start = time.perf_counter()
        merged = merged.merge(part)
        clock["merge_s"] += time.perf_counter() - start
    return merged


def _timed(chunks: Iterator[pa.Table], clock: dict[str, float]) -> Iterator[pa.Table]:
    while True:
        start, cpu = time.perf_counter(), _measure.cpu_seconds()
        chunk = next(chunks, None)
        clock["generate_s"] += time.perf_counter() - start
        clock["generate_cpu_s"] += _measure.cpu_seconds() - cpu
        if chunk is None:
            return
        yield chunk
