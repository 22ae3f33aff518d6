"""Fixtures for service tests: a real uvicorn server on loopback, tokens and a served model.

``serve(store, **settings)`` starts :func:`steward.service.app.create_app` under uvicorn in a
thread on a free 127.0.0.1 port and returns a :class:`Live` (base URL, app, an admin token);
every server is shut down (lifespan included) when the test ends. Settings default to a
monitor loop that is off and an auth cache TTL of 0, so revocations show at once.

``served_model(store, folder)`` registers a small scikit-learn classifier (skops) as the next
version of a model and makes it the champion.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd
import pytest

FEATURES = ["x1", "x2"]


@dataclass
class Live:
    """A running server: its base URL, the app object, the store and an admin token."""

    url: str
    app: Any
    store: Any
    admin: str
    clients: list[httpx.Client] = field(default_factory=list)

    def client(self, token: str | None = None, **kwargs: Any) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        client = httpx.Client(base_url=self.url, headers=headers, timeout=30, **kwargs)
        self.clients.append(client)
        return client

    def token(self, *scopes: str, models: list[str] | None = None, name: str = "t") -> str:
        from steward.service.auth import create_token

        return create_token(self.store, name, scopes, models, actor="test")[1]


def _start(app: Any) -> tuple[Any, threading.Thread, str]:
    import uvicorn

    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn-test", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("test server did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    return server, thread, f"http://127.0.0.1:{port}"


class Servers:
    """Starts servers over stores and stops them all (lifespan shutdown included)."""

    def __init__(self) -> None:
        self.running: list[tuple[Any, threading.Thread, Live]] = []

    def __call__(self, store: Any, **settings: Any) -> Live:
        from steward.service.app import create_app
        from steward.service.auth import create_token
        from steward.service.settings import ServiceSettings

        settings = {"monitor_every_s": 0, "auth_cache_ttl_s": 0, **settings}
        app = create_app(store, ServiceSettings(**settings))
        server, thread, url = _start(app)
        admin = create_token(store, "admin", ["admin"], actor="test")[1]
        live = Live(url=url, app=app, store=store, admin=admin)
        self.running.append((server, thread, live))
        return live

    def stop_all(self) -> None:
        for server, thread, live in self.running:
            for client in live.clients:
                client.close()
            server.should_exit = True
            thread.join(30)
        self.running.clear()


@pytest.fixture
def serve() -> Iterator[Callable[..., Live]]:
    """Start servers on demand; all are stopped after the test."""
    servers = Servers()
    yield servers
    servers.stop_all()


@pytest.fixture(scope="module")
def serve_module() -> Iterator[Callable[..., Live]]:
    """Like ``serve``, for servers shared by a whole test module."""
    servers = Servers()
    yield servers
    servers.stop_all()


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Any]:
    """An opened SQLite store (for tests where the database makes no difference)."""
    from steward.store import Store

    opened = Store.open(f"sqlite:///{tmp_path / 'home' / 'steward.db'}", home_dir=tmp_path / "home")
    yield opened
    opened.dispose()


def reference(seed: int = 0, n: int = 300) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"x1": rng.normal(size=n), "x2": rng.normal(size=n)})
    frame["y"] = (frame.x1 + 0.5 * frame.x2 + rng.normal(0, 0.5, n) > 0).astype(int)
    return frame


def served_model(
    store: Any, folder: Path, name: str = "credit", alias: str | None = "champion", seed: int = 0
) -> int:
    """Register a LogisticRegression (skops) as the next version of ``name``; its number."""
    import skops.io as sio
    from sklearn.linear_model import LogisticRegression

    from steward.registry import ModelRegistry

    frame = reference(seed)
    model = LogisticRegression().fit(frame[FEATURES], frame.y)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}-{seed}.skops"
    sio.dump(model, path)
    registry = ModelRegistry(store)
    version = registry.register(name, path, reference=frame, target="y", actor="test").version
    if alias is not None:
        registry.promote(name, version, alias, actor="test")
    return version
