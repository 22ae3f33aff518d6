"""The prediction gateway: champion, fallback, circuit breaker, durable log, shadow.

:meth:`Gateway.predict` validates the rows under the champion's schema, asks the champion
(in a thread pool, with the plan's timeout, unless its circuit breaker is open), falls back
to the ``fallback`` version on error, timeout or open circuit, logs the answer through the
group-commit :class:`~steward.service.logwriter.LogWriter` and returns only once the log is
committed; challengers get the same rows on the bounded shadow queue.

What serves each model (and when that is re-read from the store) is the
:class:`~steward.service.directory.ModelDirectory`'s business.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pyarrow as pa

from steward._exceptions import InputError, StewardError, Unavailable
from steward.registry import ModelRegistry
from steward.registry.formats._base import first_line
from steward.service.breaker import Breakers
from steward.service.directory import Entry, ModelDirectory, Policy
from steward.service.logwriter import LogWriter
from steward.service.records import LogBatch, VersionContext, answer_plain
from steward.service.settings import ServiceSettings
from steward.service.shadow import ShadowJob, ShadowRunner
from steward.service.validation import check_ids, rows_to_table
from steward.store import Store
from steward.store.tables import utcnow

LOG = logging.getLogger("steward.service.gateway")
THREAD_VALIDATION_ROWS = 200  # larger requests are validated off the event loop
PROFILE_FLUSH_S = 1.0  # how often window profiles take in committed rows (see profiler.py)


@dataclass(frozen=True)
class PredictResult:
    """What the champion (or the fallback) answered, after the log was committed."""

    request_id: str
    version: int
    served_by: str  # champion | fallback
    predictions: list[Any]
    scores: list[list[float]] | None
    classes: list[Any] | None


@dataclass
class _Answer:
    context: VersionContext
    outputs: list[Any]
    scores: list[list[float]] | None
    latency_ms: float


class Gateway:
    """Serves predictions for every registered model (see the module docstring)."""

    def __init__(
        self,
        store: Store,
        registry: ModelRegistry,
        settings: ServiceSettings,
        metrics: Any = None,
        *,
        model_threads: int = 4,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.store = store
        self.clock = clock  # when rows are logged (a simulated clock in the demo)
        self.registry = registry
        self.settings = settings
        self.metrics = metrics
        self.breakers = Breakers()
        self.writer = LogWriter(
            store,
            max_batch=settings.commit_max_batch,
            max_wait_ms=settings.commit_max_wait_ms,
            metrics=metrics,
            company=lambda: self._inflight,
            profile_flush_s=PROFILE_FLUSH_S,
        )
        self._inflight = 0  # requests between arrival and their log submission
        self.shadow = ShadowRunner(
            self.writer,
            size=settings.shadow_queue_size,
            workers=settings.shadow_workers,
            metrics=metrics,
        )
        # Few threads: more only fight the event loop for the GIL. The fallback has its own
        # pool, so a champion that hangs every thread of its pool cannot starve the fallback.
        self._pool = ThreadPoolExecutor(max_workers=model_threads, thread_name_prefix="model")
        self._fallback_pool = ThreadPoolExecutor(
            max_workers=model_threads, thread_name_prefix="fallback"
        )
        self.models = ModelDirectory(store, registry, settings)
        self._preload: asyncio.Task[None] | None = None

    # --- lifecycle ------------------------------------------------------------------

    def start(self) -> None:
        """Start the log writer and shadow workers; inside an event loop, also load every
        model's champion, fallback and challengers in the background (first requests then
        do not pay for loading)."""
        self.writer.start()
        self.shadow.start()
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        self._preload = loop.create_task(self.models.load_all())

    async def stop(self, drain_timeout_s: float = 30.0) -> bool:
        """Finish shadow work, then commit every queued log row; ``False`` if time ran out."""
        deadline = time.monotonic() + drain_timeout_s
        if self._preload is not None and not self._preload.done():
            self._preload.cancel()
        shadow_ok = await asyncio.to_thread(self.shadow.stop, drain_timeout_s)
        remaining = max(0.1, deadline - time.monotonic())
        log_ok = await asyncio.to_thread(self.writer.stop, remaining)
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._fallback_pool.shutdown(wait=False, cancel_futures=True)
        return shadow_ok and log_ok

    def invalidate(self, name: str | None = None) -> None:
        """Re-read what serves ``name`` (every model when ``None``) before its next request."""
        self.models.invalidate(name)

    # --- predict --------------------------------------------------------------------

    async def predict(
        self,
        name: str,
        rows: Sequence[dict[str, Any]],
        ids: Sequence[Any] | None,
        principal: Any = None,
        *,
        request_id: str | None = None,
    ) -> PredictResult:
        """Answer ``rows`` with the champion (or the fallback); logged before returning."""
        request_id = request_id or uuid.uuid4().hex
        self._inflight += 1
        try:
            batches, answer, served_by = await self._serve(name, rows, ids, principal, request_id)
        finally:
            self._inflight -= 1
        await self.writer.log(batches)
        return PredictResult(
            request_id=request_id,
            version=answer.context.version,
            served_by=served_by,
            predictions=answer.outputs,
            scores=answer.scores,
            classes=answer.context.classes,
        )

    async def _serve(
        self,
        name: str,
        rows: Sequence[dict[str, Any]],
        ids: Sequence[Any] | None,
        principal: Any,
        request_id: str,
    ) -> tuple[list[LogBatch], _Answer, str]:
        """Everything before the log: validate, answer, queue the shadow work."""
        entry = await self.models.entry(name)
        if entry.champion is None and entry.champion_error is None:
            raise Unavailable(f"model {name!r} has no champion; promote a version first")
        schema_source = entry.champion or entry.fallback
        if schema_source is None:
            raise Unavailable(
                f"model {name!r}: the champion {entry.champion_error} and there is no fallback"
            )
        table = await self._validate(rows, schema_source)
        row_ids = check_ids(ids, len(rows), request_id)
        token_id = getattr(principal, "token_id", None)
        batches, answer, served_by = await self._answer(name, entry, table, rows, row_ids)
        for batch in batches:
            batch.request_id, batch.token_id = request_id, token_id
        self._offer_shadow(name, entry, request_id, table, rows, row_ids, token_id)
        return batches, answer, served_by

    async def _validate(self, rows: Sequence[dict[str, Any]], ctx: VersionContext) -> pa.Table:
        if len(rows) > THREAD_VALIDATION_ROWS:
            return await asyncio.to_thread(rows_to_table, rows, ctx.schema)
        return rows_to_table(rows, ctx.schema)

    async def _answer(
        self,
        name: str,
        entry: Entry,
        table: pa.Table,
        rows: Sequence[dict[str, Any]],
        ids: list[str],
    ) -> tuple[list[LogBatch], _Answer, str]:
        """The champion's answer, or the fallback's, with the log batches to write."""
        policy = entry.policy
        breaker = self.breakers.get(
            name, policy.breaker_failures, policy.breaker_window_s, policy.breaker_reset_s
        )
        failure = entry.champion_error
        reason = "error"
        failed_ctx = None
        if entry.champion is not None:
            if not breaker.allow():
                failure, reason = "the circuit breaker is open", "circuit_open"
            else:
                try:
                    answer = await self._call(entry.champion, table, policy.timeout_s)
                except Exception as exc:
                    if _rejected_input(exc):
                        breaker.release()
                        raise
                    breaker.record_failure()
                    failure, reason = _describe(exc, policy.timeout_s)
                    failed_ctx = entry.champion
                    self._count("errors", model=name, kind=reason)
                else:
                    breaker.record_success()
                    batch = self._batch(answer, "champion", rows, ids, table, policy)
                    return [batch], answer, "champion"
        answer = await self._fallback(name, entry, table, failure or "unknown", reason)
        self._count("fallbacks", model=name, reason=reason)
        batches = [self._batch(answer, "fallback", rows, ids, table, policy)]
        if failed_ctx is not None:
            failed = _error_batch(failed_ctx, rows, ids, failure or "", policy, self.clock())
            batches.append(failed)
        return batches, answer, "fallback"

    async def _fallback(
        self, name: str, entry: Entry, table: pa.Table, failure: str, reason: str
    ) -> _Answer:
        champion = entry.champion.label if entry.champion else f"model {name!r} champion"
        if entry.fallback is None:
            raise Unavailable(
                f"{champion} is failing ({failure}) and model {name!r} has no fallback version"
            )
        try:
            return await self._call(
                entry.fallback, table, entry.policy.timeout_s, self._fallback_pool
            )
        except Exception as exc:
            if _rejected_input(exc):
                raise
            detail, kind = _describe(exc, entry.policy.timeout_s)
            self._count("errors", model=name, kind=f"fallback_{kind}")
            raise Unavailable(
                f"{champion} is failing ({failure}) and the fallback "
                f"{entry.fallback.label} failed too ({detail})"
            ) from exc

    async def _call(
        self,
        ctx: VersionContext,
        table: pa.Table,
        timeout_s: float,
        pool: ThreadPoolExecutor | None = None,
    ) -> _Answer:
        """One model call in a pool, bounded by ``timeout_s``: a call still queued is
        cancelled, one already running finishes in its thread, unheard."""
        loop = asyncio.get_running_loop()
        started = time.perf_counter()
        future = loop.run_in_executor(pool or self._pool, answer_plain, ctx.loaded, table)
        outputs, scores = await asyncio.wait_for(future, timeout_s)
        if len(outputs) != table.num_rows:
            raise StewardError(f"{ctx.label} answered {len(outputs)} rows for {table.num_rows}")
        return _Answer(ctx, outputs, scores, (time.perf_counter() - started) * 1000)

    def _batch(
        self,
        answer: _Answer,
        role: str,
        rows: Sequence[dict[str, Any]],
        ids: list[str],
        table: pa.Table,
        policy: Policy,
    ) -> LogBatch:
        return LogBatch(
            context=answer.context,
            role=role,
            request_id="",
            rows=rows,
            ids=ids,
            table=table,
            outputs=answer.outputs,
            scores=answer.scores,
            error=None,
            latency_ms=answer.latency_ms,
            token_id=None,
            window=policy.window,
            created_at=self.clock(),
        )

    def _offer_shadow(
        self,
        name: str,
        entry: Entry,
        request_id: str,
        table: pa.Table,
        rows: Sequence[dict[str, Any]],
        ids: list[str],
        token_id: int | None,
    ) -> None:
        if not entry.challengers:
            return
        job = ShadowJob(
            model=name,
            request_id=request_id,
            table=table,
            rows=rows,
            ids=ids,
            challengers=entry.challengers,
            timeout_s=entry.policy.timeout_s,
            window=entry.policy.window,
            token_id=token_id,
            at=self.clock(),
        )
        self.shadow.offer(job)

    def _count(self, metric: str, **labels: str) -> None:
        if self.metrics is not None:
            getattr(self.metrics, metric).labels(**labels).inc()


def _rejected_input(exc: BaseException) -> bool:
    """Whether a model's exception says the *input* is bad (a 422, not a model failure).

    Loaders report every exception a model raises on predict as :class:`InputError`, keeping
    the original as ``__cause__``. A ``ValueError``/``TypeError``/``KeyError`` cause (what
    scikit-learn raises for NaN, wrong shapes or unseen columns) is the client's; anything
    else (``RuntimeError``, ``MemoryError``…) is the model failing, which falls back.
    """
    if not isinstance(exc, InputError):
        return False
    cause = exc.__cause__
    return cause is None or isinstance(cause, (ValueError, TypeError, KeyError))


def _describe(exc: BaseException, timeout_s: float) -> tuple[str, str]:
    """(what went wrong, the metric kind: ``timeout`` or ``error``)."""
    if isinstance(exc, (asyncio.TimeoutError, TimeoutError)):
        return f"no answer within {timeout_s * 1000:.0f} ms", "timeout"
    if isinstance(exc, InputError) and exc.__cause__ is not None:  # the model's own error
        exc = exc.__cause__
    return f"{type(exc).__name__}: {first_line(exc)}", "error"


def _error_batch(
    ctx: VersionContext,
    rows: Sequence[dict[str, Any]],
    ids: list[str],
    error: str,
    policy: Policy,
    at: datetime,
) -> LogBatch:
    """The champion's failure, logged next to the fallback's answer (serving error rate)."""
    return LogBatch(
        context=ctx,
        role="champion",
        request_id="",
        rows=rows,
        ids=ids,
        table=None,
        outputs=None,
        scores=None,
        error=error,
        latency_ms=0.0,
        token_id=None,
        window=policy.window,
        created_at=at,
    )
