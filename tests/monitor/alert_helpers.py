"""Shared pieces of the alerting tests: findings, plans, a model row, a clock, a receiver."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from steward.findings import Finding, Verdict
from steward.plan.schema import MaintenancePlan
from steward.store.tables import ModelRow

T0 = datetime(2024, 3, 1, tzinfo=timezone.utc)


def day(n: int) -> datetime:
    """The end of simulated window ``n`` (one window a day)."""
    return T0 + timedelta(days=n)


def drift(column: str, verdict: str = "fail", persistence: str | None = None) -> Finding:
    details = {"persistence": persistence} if persistence else {}
    return Finding(
        check="drift.ks",
        column=column,
        statistic=0.3 if verdict == "fail" else 0.01,
        verdict=Verdict(verdict),
        p_value=1e-6 if verdict == "fail" else 0.8,
        details=details,
    )


def drifting(count: int, verdict: str = "fail") -> list[Finding]:
    return [drift(f"f{i}", verdict) for i in range(count)]


def plan(rules: list[dict[str, Any]], routes: list[dict[str, Any]] | None = None, **alerts: Any):
    body = {"rules": rules, "routes": routes or [], **alerts}
    return MaintenancePlan.model_validate({"model": "credit", "alerts": body})


def rule(name: str = "drift", **fields: Any) -> dict[str, Any]:
    return {"name": name, "when": fields.pop("when", {"check": "drift.*"}), **fields}


def add_model(store: Any, name: str = "credit") -> int:
    with store.session() as session:
        row = ModelRow(name=name, created_by="test")
        session.add(row)
        session.flush()
        return row.id


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Receiver:
    """A real HTTP server on loopback that records every JSON body posted to it."""

    def __init__(self, port: int, status: int = 200) -> None:
        self.port = port
        self.status = status
        self.bodies: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                size = int(self.headers.get("Content-Length", 0))
                receiver.bodies.append(json.loads(self.rfile.read(size)))
                receiver.headers.append(dict(self.headers))
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        return Handler

    @contextmanager
    def running(self) -> Iterator[Receiver]:
        server = ThreadingHTTPServer(("127.0.0.1", self.port), self.handler())
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            server.shutdown()
            server.server_close()
            thread.join()
