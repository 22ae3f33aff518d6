"""Window profiles, the second stage after the log commit.

Measured on a two-feature model: merging one batch into a window row in the commit's own
transaction costs about 10 ms per (version, window) group and commit (reading the window's
profile from bytes ~4 ms, writing it back ~5 ms, profiling the batch ~1.6 ms, whatever the
batch's size), which would triple the latency of a single-row request. So the log writer
commits rows alone, and this stage folds committed batches into their windows every
``flush_s`` seconds (1 s in the service) in its own transaction, one profile per window per
flush, off the response path. (Each flush still holds the GIL for tens of milliseconds, so
less frequent flushes also mean fewer latency bumps for requests in flight.)

The price: a process killed between a commit and the next flush loses those seconds'
*profile increments* (never rows: every acknowledged row is in ``predictions``). The window's
``rows`` then counts fewer rows than ``predictions`` holds for it, which is visible; a clean
stop flushes everything. Profiles are computed before the transaction opens, so the window
row is locked only for the merge itself.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import pyarrow as pa

from steward.monitor.windowing import merge_window_profile, window_bounds
from steward.service.records import LogBatch, serving_table
from steward.store import Store

LOG = logging.getLogger("steward.service.profiles")
MAX_ATTEMPTS = 3
GroupKey = tuple[int, int, str, Any, Any]  # model_id, version_id, role, start, end


class WindowProfiler:
    """Folds committed batches into their window profiles every ``flush_s`` seconds."""

    def __init__(self, store: Store, *, flush_s: float = 0.5) -> None:
        self.store = store
        self.flush_s = flush_s
        self._pending: list[tuple[LogBatch, int]] = []
        self._lock = threading.Lock()
        self._flushing = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.seconds = 0.0  # time spent profiling and merging (for benchmarks)

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="steward-profile", daemon=True)
            self._thread.start()

    def add(self, batches: Sequence[LogBatch]) -> None:
        """Queue committed batches (those without an error) for the next flush."""
        kept = [(b, 0) for b in batches if b.error is None and len(b)]
        if kept:
            with self._lock:
                self._pending.extend(kept)

    def stop(self, timeout_s: float = 30.0) -> bool:
        """Flush what is pending and end the thread."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            return not self._thread.is_alive()
        self.flush()
        return True

    def _run(self) -> None:
        while not self._stop.wait(self.flush_s):
            self.flush()
        self.flush()

    def flush(self) -> int:
        """Merge every pending batch into its window now; returns the rows merged.

        Flushes run one at a time, so a flush that returns has also waited for one the
        background thread had under way (its batches are merged too)."""
        with self._flushing:
            return self._flush()

    def _flush(self) -> int:
        with self._lock:
            pending, self._pending = self._pending, []
        if not pending:
            return 0
        started = time.perf_counter()
        merged = sum(self._merge(key, group) for key, group in _groups(pending).items())
        self.seconds += time.perf_counter() - started
        return merged

    def _merge(self, key: GroupKey, group: list[tuple[LogBatch, int]]) -> int:
        batches = [b for b, _ in group]
        model_id, version_id, role, start, end = key
        rows = sum(len(b) for b in batches)
        try:
            data = profile_bytes(batches)
            with self.store.session() as session:
                merge_window_profile(
                    session,
                    model_id=model_id,
                    version_id=version_id,
                    role=role,
                    start=start,
                    end=end,
                    rows=rows,
                    profile_bytes=data,
                )
        except Exception as exc:
            self._retry(group, exc)
            return 0
        return rows

    def _retry(self, group: list[tuple[LogBatch, int]], exc: Exception) -> None:
        label = group[0][0].context.label
        again = [(b, n + 1) for b, n in group if n + 1 < MAX_ATTEMPTS]
        if again:
            LOG.warning("window profile of %s failed (%s); retrying at the next flush", label, exc)
            with self._lock:
                self._pending.extend(again)
        else:
            LOG.error("window profile of %s failed %d times, dropped: %s", label, MAX_ATTEMPTS, exc)


def _groups(pending: list[tuple[LogBatch, int]]) -> dict[GroupKey, list[tuple[LogBatch, int]]]:
    groups: dict[GroupKey, list[tuple[LogBatch, int]]] = defaultdict(list)
    for batch, attempts in pending:
        start, end = window_bounds(batch.created_at, batch.window)
        ctx = batch.context
        groups[(ctx.model_id, ctx.version_id, batch.window_role, start, end)].append(
            (batch, attempts)
        )
    return groups


def profile_bytes(batches: list[LogBatch]) -> bytes:
    """One profile of a group's batches under the version's schema and reference."""
    from steward.profile import profile

    context = batches[0].context
    try:
        tables = [serving_table(combine(batches))]
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # incompatible types: profile each, merge
        tables = [serving_table(b) for b in batches]
    parts = [profile(t, context.schema, reference=context.reference) for t in tables]
    merged = parts[0]
    for part in parts[1:]:
        merged = merged.merge(part)
    return merged.to_bytes()


def combine(batches: list[LogBatch]) -> LogBatch:
    """The group's batches as one (inputs concatenated once, not hundreds of small tables
    turned into serving tables one by one)."""
    if len(batches) == 1:
        return batches[0]
    first = batches[0]
    tables = [b.table for b in batches if b.table is not None]
    table = pa.concat_tables(tables, promote_options="permissive") if tables else None
    return replace(
        first,
        rows=[row for b in batches for row in b.rows],
        ids=[i for b in batches for i in b.ids],
        table=table,
        outputs=_joined([b.outputs for b in batches], [len(b) for b in batches]),
        scores=_joined([b.scores for b in batches], [len(b) for b in batches]),
    )


def _joined(parts: list[list[Any] | None], sizes: list[int]) -> list[Any] | None:
    if all(part is None for part in parts):
        return None
    return [v for part, n in zip(parts, sizes, strict=True) for v in (part or [None] * n)]
