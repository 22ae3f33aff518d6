"""Request limits: a body-size cap (413) and a per-token token bucket (429).

:class:`BodyLimit` is ASGI middleware in front of everything. A declared ``Content-Length``
over the cap is refused before a byte of the body is read; a body without one (chunked
transfer) is read into memory only up to the cap, counted as it streams, then replayed to the
app, so no handler ever sees more than ``max_body_bytes``.

:class:`RateLimiter` is a token bucket per API token, in memory per process (replicas each
allow the full rate). The auth layer calls it once it knows which token is asking, so an
unverified header can never drain another token's bucket.

>>> limiter = RateLimiter(rate_per_s=1.0, burst=2)
>>> [limiter.take("t", now=0.0) for _ in range(3)]
[0.0, 0.0, 1.0]
"""

from __future__ import annotations

import json
import threading
import time

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyLimit:
    """ASGI middleware answering 413 for request bodies larger than ``max_bytes``."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await _too_large(send, self.max_bytes)
            return
        if declared is not None:
            await self.app(scope, _counting(receive, self.max_bytes), send)
            return
        body = await _read_capped(receive, self.max_bytes)
        if body is None:
            await _too_large(send, self.max_bytes)
            return
        await self.app(scope, _replay(body, receive), send)


class BodyTooLarge(HTTPException):
    """More bytes arrived than the cap allows, found while streaming (answered as 413)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body over {limit} bytes")


def _content_length(scope: Scope) -> int | None:
    for key, value in scope.get("headers", []):
        if key == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _counting(receive: Receive, limit: int) -> Receive:
    """Pass messages through, failing if the body outgrows ``limit`` (defence in depth)."""
    seen = 0

    async def counted() -> Message:
        nonlocal seen
        message = await receive()
        seen += len(message.get("body", b""))
        if seen > limit:
            raise BodyTooLarge(limit)
        return message

    return counted


async def _read_capped(receive: Receive, limit: int) -> bytes | None:
    """The whole body, or ``None`` as soon as it passes ``limit`` bytes."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks)  # client went away; the app will notice
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that yields ``body`` once, then defers to the real one (disconnects)."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed


async def _too_large(send: Send, limit: int) -> None:
    body = json.dumps(
        {"error": {"type": "PayloadTooLarge", "message": f"request body over {limit} bytes"}}
    ).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class RateLimiter:
    """Token buckets keyed by API token: ``rate_per_s`` refill, at most ``burst`` saved up."""

    def __init__(self, rate_per_s: float, burst: int) -> None:
        self.rate = rate_per_s
        self.burst = float(burst)
        self._buckets: dict[object, tuple[float, float]] = {}  # key -> (tokens, last time)
        self._lock = threading.Lock()

    def take(self, key: object, now: float | None = None) -> float:
        """Spend one request for ``key``: 0.0 if allowed, else seconds until one is."""
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, last = self._buckets.get(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return (1.0 - tokens) / self.rate
