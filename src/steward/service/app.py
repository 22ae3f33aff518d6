"""The Steward service as one FastAPI app: routes, auth, limits, metrics and the monitor loop.

``create_app(store)`` wires everything and does no I/O; the lifespan starts the prediction
gateway (group-commit log writer, shadow workers) and, when ``monitor_every_s`` is set, a
background task that runs one monitor pass at that interval in a worker thread. Shutdown
stops the monitor, then drains the gateway (shadow queue, then the log) within
``drain_timeout_s``.

Request path, outermost first: :class:`RequestObserver` (request id, metrics, access
log) → :class:`ErrorBarrier` (a bug is a clean 500) → :class:`BodyLimit` (413) → routing →
``require(scope)`` (401/403/429) → handler.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from datetime import datetime

from fastapi import FastAPI
from fastapi.routing import APIRoute

from steward.registry import ModelRegistry
from steward.service import errors
from steward.service.auth import Authenticator
from steward.service.limits import BodyLimit, RateLimiter
from steward.service.metrics import RequestObserver, ServiceMetrics
from steward.service.routes_admin import router as admin_router
from steward.service.routes_labels import router as labels_router
from steward.service.routes_ops import router as ops_router
from steward.service.routes_predict import router as predict_router
from steward.service.routes_read import router as read_router
from steward.service.settings import ServiceSettings
from steward.store import Store
from steward.store.tables import utcnow

LOG = logging.getLogger("steward.service")
ROUTERS = (ops_router, predict_router, labels_router, read_router, admin_router)


def create_app(
    store: Store,
    settings: ServiceSettings | None = None,
    *,
    clock: Callable[[], datetime] = utcnow,
) -> FastAPI:
    """The service app over ``store`` (nothing starts until the server runs its lifespan).

    ``clock`` stamps logged predictions and labels; the demo passes a simulated one.
    """
    settings = settings or ServiceSettings()
    app = FastAPI(
        title="Steward",
        summary="Serve, log, label and monitor machine-learning models.",
        version=_version(),
        lifespan=_lifespan,
        openapi_url=None,  # served by routes_ops behind a token
        docs_url=None,
        redoc_url=None,
    )
    metrics = ServiceMetrics()
    limiter = RateLimiter(settings.rate_limit_per_s, settings.rate_limit_burst)
    app.state.store = store
    app.state.clock = clock
    app.state.settings = settings
    app.state.metrics = metrics
    app.state.auth = Authenticator(store, settings.auth_cache_ttl_s, limiter)
    app.state.gateway_started = False
    errors.install(app)
    for router in ROUTERS:
        app.include_router(router)
    app.state.route_methods = [
        (route.path_regex, set(route.methods or ()))
        for router in ROUTERS
        for route in router.routes
        if isinstance(route, APIRoute)
    ]
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(errors.ErrorBarrier)
    app.add_middleware(RequestObserver, metrics=metrics)
    return app


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    from steward.service.gateway import Gateway

    state = app.state
    state.registry = ModelRegistry(state.store)
    state.gateway = Gateway(
        state.store, state.registry, state.settings, state.metrics, clock=state.clock
    )
    state.gateway.start()
    state.gateway_started = True
    monitor = _start_monitor(state.store, state.settings.monitor_every_s)
    try:
        yield
    finally:
        state.gateway_started = False
        if monitor is not None:
            monitor.cancel()
            with suppress(asyncio.CancelledError):
                await monitor
        drained = await state.gateway.stop(state.settings.drain_timeout_s)
        if not drained:
            LOG.warning("gateway not drained within %ss", state.settings.drain_timeout_s)


def _start_monitor(store: Store, every_s: float) -> asyncio.Task[None] | None:
    if every_s <= 0:
        return None
    return asyncio.create_task(_monitor_loop(store, every_s), name="steward-monitor")


async def _monitor_loop(store: Store, every_s: float) -> None:
    """Every ``every_s`` seconds, run a monitor pass over the models whose plan's
    ``monitor.every`` has passed since their last pass; a failing pass is logged, never
    fatal (and retried at the next tick)."""
    last_run: dict[str, datetime] = {}
    while True:
        await asyncio.sleep(every_s)
        try:
            await asyncio.to_thread(_due_pass, store, last_run)
        except Exception:
            LOG.exception("monitor pass failed; the next one runs in %ss", every_s)


def _due_pass(store: Store, last_run: dict[str, datetime]) -> None:
    from steward.monitor.passes import due_models, run_pass

    now = utcnow()
    models = due_models(store, last_run, now)
    if models:
        run_pass(store, now=now, models=models)
        last_run.update(dict.fromkeys(models, now))


def _version() -> str:
    from steward import __version__

    return str(__version__)
