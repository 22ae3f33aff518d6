"""Prometheus metrics per app, request counting by route template, JSON access log lines."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable

import pytest
from prometheus_client.parser import text_string_to_metric_families

from conftest import Live
from steward.service.metrics import ServiceMetrics
from steward.store import Store

REQUIRED = {
    "steward_requests": "counter",
    "steward_request_seconds": "histogram",
    "steward_errors": "counter",
    "steward_fallbacks": "counter",
    "steward_shadow_dropped": "counter",
    "steward_shadow_queue_depth": "gauge",
    "steward_log_queue_depth": "gauge",
    "steward_logged_rows": "counter",
    "steward_commit_seconds": "histogram",
}


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_every_metric_is_exported(sqlite_store: Store, serve: Callable[..., Live]) -> None:
    live = serve(sqlite_store)
    response = live.client(live.admin).get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    families = {f.name: f.type for f in text_string_to_metric_families(response.text)}
    assert {name: families.get(name) for name in REQUIRED} == REQUIRED


def test_requests_are_counted_by_route_template(
    sqlite_store: Store, serve: Callable[..., Live]
) -> None:
    live = serve(sqlite_store)
    client = live.client(live.admin)
    for name in ("a", "b", "c"):
        assert client.get(f"/v1/models/{name}").status_code == 404
    client.get("/healthz")
    client.get("/no/such/route")
    samples = _samples(client.get("/metrics").text)
    key = (("method", "GET"), ("route", "/v1/models/{name}"), ("status", "404"))
    assert samples[("steward_requests_total", key)] == 3
    assert samples[("steward_request_seconds_count", (("route", "/v1/models/{name}"),))] == 3
    healthz = (("method", "GET"), ("route", "/healthz"), ("status", "200"))
    assert samples[("steward_requests_total", healthz)] == 1
    unmatched = (("method", "GET"), ("route", "unmatched"), ("status", "404"))
    assert samples[("steward_requests_total", unmatched)] == 1
    assert not any("/v1/models/a" in str(labels) for _, labels in samples)


def test_latency_buckets_resolve_milliseconds() -> None:
    metrics = ServiceMetrics()
    metrics.observe_request("/x", "GET", 200, 0.003)
    samples = _samples(metrics.render().decode())
    bucket = "steward_request_seconds_bucket"
    assert samples[(bucket, (("le", "0.0025"), ("route", "/x")))] == 0
    assert samples[(bucket, (("le", "0.005"), ("route", "/x")))] == 1


def test_apps_have_separate_registries(sqlite_store: Store, serve: Callable[..., Live]) -> None:
    one, two = serve(sqlite_store), serve(sqlite_store)
    one.client(one.admin).get("/healthz")
    text = two.client(two.admin).get("/metrics").text
    assert 'route="/healthz"' not in text


def test_metrics_need_a_read_token(sqlite_store: Store, serve: Callable[..., Live]) -> None:
    live = serve(sqlite_store)
    assert live.client().get("/metrics").status_code == 401
    assert live.client(live.token("predict")).get("/metrics").status_code == 403
    assert live.client(live.token("read")).get("/metrics").status_code == 200


def test_one_json_access_line_per_request(
    sqlite_store: Store, serve: Callable[..., Live], caplog: pytest.LogCaptureFixture
) -> None:
    live = serve(sqlite_store)
    token = live.token("read", name="dashboard")
    with caplog.at_level(logging.INFO, logger="steward.access"):
        response = live.client(token).get("/v1/models", params={"limit": 5})
        live.client().get("/v1/models")
        deadline = time.monotonic() + 5  # the line is written just after the response is sent
        while len(_access(caplog)) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
    lines = _access(caplog)
    assert len(lines) == 2
    ok, denied = lines
    assert set(ok) == {"method", "path", "status", "ms", "token", "request_id"}
    assert (ok["method"], ok["path"], ok["status"], ok["token"]) == (
        "GET",
        "/v1/models",
        200,
        "dashboard",
    )
    assert ok["request_id"] == response.headers["x-request-id"]
    assert ok["ms"] > 0
    assert (denied["status"], denied["token"]) == (401, None)


def _access(caplog: pytest.LogCaptureFixture) -> list[dict]:
    return [json.loads(r.getMessage()) for r in caplog.records if r.name == "steward.access"]
