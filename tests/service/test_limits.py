"""Body-size cap (413, declared or chunked) and per-token rate limit (429 with Retry-After)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator

import pytest

from conftest import Live, served_model
from steward.service.limits import RateLimiter
from steward.store import Store

LIMIT = 2048


@pytest.fixture
def live(sqlite_store: Store, serve: Callable[..., Live], tmp_path) -> Live:
    served_model(sqlite_store, tmp_path / "m")
    return serve(sqlite_store, max_body_bytes=LIMIT, rate_limit_per_s=1, rate_limit_burst=3)


def _labels(n: int) -> bytes:
    return json.dumps({"ids": [f"row-{i}" for i in range(n)], "labels": [1] * n}).encode()


def _chunks(body: bytes, size: int = 500) -> Iterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start : start + size]


def test_declared_body_over_the_cap_is_413(live: Live) -> None:
    body = _labels(400)
    assert len(body) > LIMIT
    response = live.client(live.admin).post(
        "/v1/models/credit/labels", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["error"]["type"] == "PayloadTooLarge"
    assert str(LIMIT) in response.json()["error"]["message"]


def test_chunked_body_over_the_cap_is_413(live: Live) -> None:
    body = _labels(400)
    response = live.client(live.admin).post(
        "/v1/models/credit/labels",
        content=_chunks(body),
        headers={"content-type": "application/json"},
    )
    assert response.request.headers.get("transfer-encoding") == "chunked"
    assert "content-length" not in response.request.headers
    assert response.status_code == 413


def test_chunked_body_under_the_cap_reaches_the_route(live: Live) -> None:
    body = _labels(20)
    assert len(body) < LIMIT
    response = live.client(live.admin).post(
        "/v1/models/credit/labels",
        content=_chunks(body, 100),
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 200
    assert response.json() == {"received": 20, "stored": 20, "duplicates": 0}


def test_a_body_at_the_cap_is_accepted(live: Live) -> None:
    body = _labels(20)
    padded = body[:-1] + b" " * (LIMIT - len(body)) + b"}"
    assert len(padded) == LIMIT
    response = live.client(live.admin).post(
        "/v1/models/credit/labels", content=padded, headers={"content-type": "application/json"}
    )
    assert response.status_code == 200


def test_rate_limit_per_token_with_retry_after(live: Live) -> None:
    first, second = live.token("read", name="first"), live.token("read", name="second")
    client = live.client(first)
    statuses = [client.get("/v1/models").status_code for _ in range(3)]
    assert statuses == [200, 200, 200]  # the burst
    refused = client.get("/v1/models")
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) >= 1
    assert refused.json()["error"]["type"] == "RateLimited"
    assert live.client(second).get("/v1/models").status_code == 200  # buckets are per token
    time.sleep(float(refused.headers["retry-after"]))  # one per second refills
    assert client.get("/v1/models").status_code == 200


def test_token_bucket_refills_at_the_rate() -> None:
    limiter = RateLimiter(rate_per_s=2.0, burst=2)
    assert [limiter.take("a", now=0.0) for _ in range(2)] == [0.0, 0.0]
    assert limiter.take("a", now=0.0) == pytest.approx(0.5)
    assert limiter.take("a", now=0.25) == pytest.approx(0.25)  # half a token saved up
    assert limiter.take("a", now=0.5) == 0.0
    assert limiter.take("b", now=0.5) == 0.0
    assert limiter.take("a", now=100.0) == 0.0  # never more than the burst saved
    assert limiter.take("a", now=100.0) == 0.0
    assert limiter.take("a", now=100.0) > 0
