"""Shadow traffic: challengers answer the same rows off the response path.

The gateway :meth:`~ShadowRunner.offer` s each served request to a bounded queue and moves
on; when the queue is full the shadow work is dropped and counted
(``steward_shadow_dropped_total``), never waited for. Worker threads run every challenger
of the request with the model's timeout (in a separate pool, so a hanging challenger costs
a pool thread, not a worker) and log its answers, or its error, with role ``shadow`` under
the request's id and row ids, through the same group-commit writer.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pyarrow as pa

from steward.registry.formats._base import first_line
from steward.service.logwriter import LogWriter
from steward.service.records import LogBatch, VersionContext, answer_plain
from steward.store.tables import utcnow

LOG = logging.getLogger("steward.service.shadow")
_STOP = object()


@dataclass(frozen=True)
class ShadowJob:
    """One served request, to be answered again by each of ``challengers``."""

    model: str
    request_id: str
    table: pa.Table
    rows: Sequence[dict[str, Any]]
    ids: list[str]
    challengers: Sequence[VersionContext]
    timeout_s: float
    window: str
    token_id: int | None
    at: datetime = field(default_factory=utcnow)


class ShadowRunner:
    """A bounded queue of :class:`ShadowJob` and the worker threads that drain it."""

    def __init__(
        self,
        writer: LogWriter,
        *,
        size: int = 1000,
        workers: int = 1,
        metrics: Any = None,
    ) -> None:
        self.writer = writer
        self.metrics = metrics
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=size)
        self._workers = [
            threading.Thread(target=self._run, name=f"steward-shadow-{i}", daemon=True)
            for i in range(workers)
        ]
        self._calls = ThreadPoolExecutor(max_workers=4 * workers + 4, thread_name_prefix="shadow")
        self._started = False
        self.dropped = 0

    def start(self) -> None:
        if not self._started:
            self._started = True
            for worker in self._workers:
                worker.start()

    def offer(self, job: ShadowJob) -> bool:
        """Queue ``job`` without waiting; ``False`` (and counted) when the queue is full."""
        if not job.challengers:
            return True
        try:
            self._queue.put_nowait(job)
        except queue.Full:
            self.dropped += 1
            if self.metrics is not None:
                self.metrics.shadow_dropped.labels(model=job.model).inc()
            return False
        self._depth()
        return True

    def stop(self, timeout_s: float = 30.0) -> bool:
        """Finish the queued work (within ``timeout_s``), then end the workers."""
        if not self._started:
            return True
        deadline = time.monotonic() + timeout_s
        for _ in self._workers:
            self._put_stop(deadline)
        for worker in self._workers:
            worker.join(max(0.0, deadline - time.monotonic()))
        self._calls.shutdown(wait=False, cancel_futures=True)
        return not any(w.is_alive() for w in self._workers)

    def _put_stop(self, deadline: float) -> None:
        try:
            self._queue.put(_STOP, timeout=max(0.001, deadline - time.monotonic()))
        except queue.Full:
            LOG.warning("shadow queue still full at shutdown; some shadow work is dropped")

    def _depth(self) -> None:
        if self.metrics is not None:
            self.metrics.shadow_queue_depth.set(self._queue.qsize())

    # --- workers --------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            self._depth()
            if job is _STOP:
                return
            try:
                batches = [self._answer(job, challenger) for challenger in job.challengers]
                self.writer.submit(batches).result()
            except Exception as exc:  # shadow work never takes the service down
                LOG.error("shadow work for request %s failed: %s", job.request_id, exc)

    def _answer(self, job: ShadowJob, challenger: VersionContext) -> LogBatch:
        """Run one challenger on the job's rows with the timeout; its answer or its error."""
        started = time.perf_counter()
        outputs = scores = error = None
        try:
            future = self._calls.submit(answer_plain, challenger.loaded, job.table)
            outputs, scores = future.result(timeout=job.timeout_s)
            if len(outputs) != len(job.ids):
                raise ValueError(f"answered {len(outputs)} rows for {len(job.ids)}")
        except FutureTimeout:
            error = f"timeout: no answer within {job.timeout_s * 1000:.0f} ms"
        except Exception as exc:
            outputs = scores = None
            cause = exc.__cause__ if exc.__cause__ is not None else exc
            error = f"{type(cause).__name__}: {first_line(cause)}"
        return LogBatch(
            context=challenger,
            role="shadow",
            request_id=job.request_id,
            rows=job.rows,
            ids=job.ids,
            table=job.table,
            outputs=outputs,
            scores=scores,
            error=error,
            latency_ms=(time.perf_counter() - started) * 1000,
            token_id=job.token_id,
            window=job.window,
            created_at=job.at,
        )
