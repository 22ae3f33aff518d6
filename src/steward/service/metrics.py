"""Prometheus metrics of one service instance, and the middleware that records every request.

Each :class:`ServiceMetrics` owns a private :class:`~prometheus_client.CollectorRegistry`, so
any number of apps can live in one process (tests create many) without clashing names.
:class:`RequestObserver` wraps the whole app: it gives every request an id (echoed as
``X-Request-ID``), counts and times it under its route *template* (never the raw path, whose
cardinality a client controls), and writes one JSON access-log line on ``steward.access``.

>>> metrics = ServiceMetrics()
>>> metrics.requests.labels(route="/healthz", method="GET", status="200").inc()
>>> b'steward_requests_total{method="GET",route="/healthz",status="200"} 1.0' in metrics.render()
True
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from starlette.types import ASGIApp, Message, Receive, Scope, Send

ACCESS_LOG = logging.getLogger("steward.access")
MS_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
CONTENT_TYPE = CONTENT_TYPE_LATEST
_CHILDREN_MAX = 10_000


class ServiceMetrics:
    """Every metric the service exports, registered on a private registry."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter(
            "steward_requests", "HTTP requests", ["route", "method", "status"], registry=r
        )
        self.request_seconds = Histogram(
            "steward_request_seconds", "request latency", ["route"], buckets=MS_BUCKETS, registry=r
        )
        self.errors = Counter("steward_errors", "model errors", ["model", "kind"], registry=r)
        self.fallbacks = Counter(
            "steward_fallbacks", "answers given by the fallback", ["model", "reason"], registry=r
        )
        self.shadow_dropped = Counter(
            "steward_shadow_dropped", "shadow requests dropped (queue full)", ["model"], registry=r
        )
        self.shadow_queue_depth = Gauge(
            "steward_shadow_queue_depth", "requests waiting for challengers", registry=r
        )
        self.log_queue_depth = Gauge(
            "steward_log_queue_depth", "prediction rows waiting for commit", registry=r
        )
        self.logged_rows = Counter("steward_logged_rows", "prediction rows committed", registry=r)
        self.commit_seconds = Histogram(
            "steward_commit_seconds", "group-commit duration", buckets=MS_BUCKETS, registry=r
        )
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    def render(self) -> bytes:
        """The Prometheus text exposition of every metric."""
        return generate_latest(self.registry)

    def observe_request(self, route: str, method: str, status: int, seconds: float) -> None:
        key = (route, method, status)
        children = self._children.get(key)
        if children is None:
            children = self._request_children(key)
        children[0].inc()
        children[1].observe(seconds)

    def _request_children(self, key: tuple[str, str, int]) -> tuple[Any, Any]:
        """The labelled counter and histogram of one (route, method, status), looked up
        once: ``labels()`` costs more than the increment itself."""
        route, method, status = key
        if len(self._children) >= _CHILDREN_MAX:  # methods are client-chosen: stay bounded
            self._children.clear()
        children = (
            self.requests.labels(route=route, method=method, status=str(status)),
            self.request_seconds.labels(route=route),
        )
        self._children[key] = children
        return children


class RequestObserver:
    """ASGI middleware: request id, request metrics and one JSON access-log line per request."""

    def __init__(self, app: ASGIApp, metrics: ServiceMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", []).append((b"x-request-id", request_id.encode()))
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            self.metrics.observe_request(_route(scope), scope["method"], status, seconds)
            _access_log(scope, status, seconds, request_id)


def _route(scope: Scope) -> str:
    """The matched route's template (``/v1/models/{name}``), or ``unmatched``."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else "unmatched"


def _access_log(scope: Scope, status: int, seconds: float, request_id: str) -> None:
    if not ACCESS_LOG.isEnabledFor(logging.INFO):
        return
    principal: Any = scope.get("state", {}).get("principal")
    record = {
        "method": scope["method"],
        "path": scope["path"],
        "status": status,
        "ms": round(seconds * 1000, 3),
        "token": getattr(principal, "name", None),
        "request_id": request_id,
    }
    ACCESS_LOG.info("%s", _Json(record), extra={"fields": record})


class _Json:
    """A log argument rendered as JSON only if a handler formats the message (Steward's
    JSON formatter writes ``fields`` instead, so the line is encoded once, not twice)."""

    __slots__ = ("value",)

    def __init__(self, value: dict[str, Any]) -> None:
        self.value = value

    def __str__(self) -> str:
        return json.dumps(self.value)
