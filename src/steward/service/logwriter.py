"""Group commit: one writer thread makes every prediction durable before its response.

Handlers ``await writer.log(batches)``; shadow workers call :meth:`LogWriter.submit` and
wait on the returned future. The writer thread takes everything queued (up to
``commit_max_batch`` rows; while the oldest waiting batch is younger than
``commit_max_wait_ms`` *and* ``company()`` says other requests are on their way to the
log, it waits for them), inserts all rows in **one
transaction**, commits, and resolves the waiting futures; a failed commit fails them with
:class:`Unavailable` (HTTP 503), so no client ever sees a 2xx for rows that are not stored.
Under load the next group gathers while the current one commits, so the cost of a commit
(an fsync on SQLite) is shared by every request that arrived meanwhile.

Committed batches then go to the :class:`~steward.service.profiler.WindowProfiler`, which
folds them into their window profiles off the response path (its docstring gives the
measurements behind that choice and what a crash can lose).
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from steward._exceptions import StewardError, Unavailable
from steward.service.profiler import WindowProfiler
from steward.service.records import LogBatch, insert_rows
from steward.store import Store

LOG = logging.getLogger("steward.service.log")
_STOP = object()


@dataclass
class _Job:
    batches: Sequence[LogBatch]
    future: Future[None]
    rows: int
    enqueued: float = field(default_factory=time.monotonic)


class LogWriter:
    """The one writer thread of a service process (see the module docstring)."""

    def __init__(
        self,
        store: Store,
        *,
        max_batch: int = 5000,
        max_wait_ms: float = 2.0,
        metrics: Any = None,
        profile_flush_s: float = 0.5,
        company: Callable[[], int] | None = None,
    ) -> None:
        self.store = store
        self.profiler = WindowProfiler(store, flush_s=profile_flush_s)
        self.company = company  # requests on their way to the log; none: do not wait
        self.max_batch = max_batch
        self.max_wait_s = max_wait_ms / 1000
        self.metrics = metrics
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._closed = False
        self._carry: _Job | None = None

    # --- producer side --------------------------------------------------------------

    def start(self) -> None:
        self.profiler.start()
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="steward-log", daemon=True)
            self._thread.start()

    def submit(self, batches: Sequence[LogBatch]) -> Future[None]:
        """Queue ``batches`` for the next commit; the future resolves once they are stored."""
        future: Future[None] = Future()
        if self._closed or self._thread is None:
            future.set_exception(Unavailable("the prediction log is not running"))
            return future
        rows = sum(len(b) for b in batches)
        self._gauge(rows)
        self._queue.put(_Job(batches, future, rows))
        return future

    async def log(self, batches: Sequence[LogBatch]) -> None:
        """Return once ``batches`` are committed; raise :class:`Unavailable` if they are not."""
        await asyncio.wrap_future(self.submit(batches))

    def stop(self, timeout_s: float = 30.0) -> bool:
        """Commit everything queued, flush window profiles, end both threads; ``False`` if
        time ran out."""
        deadline = time.monotonic() + timeout_s
        self._closed = True
        if self._thread is not None:
            self._queue.put(_STOP)
            self._thread.join(timeout_s)
        drained = self._thread is None or not self._thread.is_alive()
        flushed = self.profiler.stop(max(0.1, deadline - time.monotonic()))
        return drained and flushed

    # --- writer thread --------------------------------------------------------------

    def _run(self) -> None:
        while True:
            jobs, stop = self._gather()
            if jobs:
                self._commit_or_split(jobs)
            if stop:
                return

    def _gather(self) -> tuple[list[_Job], bool]:
        """The next group: the oldest job, then whatever fits until the deadline."""
        first = self._carry if self._carry is not None else self._queue.get()
        self._carry = None
        if first is _STOP:
            return [], True
        jobs, rows = [first], first.rows
        deadline = first.enqueued + self.max_wait_s
        while rows < self.max_batch:
            item = self._next(deadline)
            if item is None:
                break
            if item is _STOP or rows + item.rows > self.max_batch:
                self._carry = item
                break
            jobs.append(item)
            rows += item.rows
        return jobs, False

    def _next(self, deadline: float) -> Any:
        try:
            return self._queue.get_nowait()
        except queue.Empty:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or (self.company is not None and self.company() == 0):
                return None
            try:
                return self._queue.get(timeout=remaining)
            except queue.Empty:
                return None

    def _commit_or_split(self, jobs: list[_Job]) -> None:
        """Commit the group; if that fails, retry each job alone so one bad request cannot
        fail the others."""
        try:
            self._commit(jobs)
        except Exception as exc:
            if len(jobs) == 1:
                self._fail(jobs, exc)
                return
            LOG.warning(
                "group commit of %d requests failed (%s); retrying one by one", len(jobs), exc
            )
            for job in jobs:
                try:
                    self._commit([job])
                except Exception as single:
                    self._fail([job], single)

    def _commit(self, jobs: list[_Job]) -> None:
        started = time.perf_counter()
        batches = [b for job in jobs for b in job.batches]
        with self.store.session() as session:
            rows = insert_rows(session, batches)
        self.profiler.add(batches)  # before answering, so a flush after the answer sees them
        self._done(jobs, rows, time.perf_counter() - started)

    def _done(self, jobs: list[_Job], rows: int, seconds: float) -> None:
        if self.metrics is not None:
            self.metrics.logged_rows.inc(rows)
            self.metrics.commit_seconds.observe(seconds)
        for job in jobs:
            self._gauge(-job.rows)
            if not job.future.done():
                job.future.set_result(None)

    def _fail(self, jobs: list[_Job], exc: BaseException) -> None:
        LOG.error("prediction log commit failed: %s", exc)
        reason = str(exc) if isinstance(exc, StewardError) else type(exc).__name__
        for job in jobs:
            self._gauge(-job.rows)
            if not job.future.done():
                job.future.set_exception(
                    Unavailable(
                        f"the prediction could not be logged, so it is not served: {reason}"
                    )
                )

    def _gauge(self, delta: int) -> None:
        if self.metrics is not None:
            self.metrics.log_queue_depth.inc(delta)
