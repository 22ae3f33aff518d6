"""Run the Steward service in this process on a free loopback port (demo and examples).

>>> # with InProcessServer(app) as server: httpx.get(f"{server.url}/healthz")
"""

from __future__ import annotations

import threading
import time
from types import TracebackType
from typing import Any


class InProcessServer:
    """uvicorn in a background thread; the context manager waits for start and shutdown."""

    def __init__(self, app: Any, host: str = "127.0.0.1") -> None:
        import uvicorn

        config = uvicorn.Config(app, host=host, port=0, log_level="warning", lifespan="on")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="steward-demo-server")
        self.url = ""

    def __enter__(self) -> InProcessServer:
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the in-process Steward service did not start")
            time.sleep(0.01)
        host, port = self._server.servers[0].sockets[0].getsockname()[:2]
        self.url = f"http://{host}:{port}"
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._server.should_exit = True
        self._thread.join(60)
