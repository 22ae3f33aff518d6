"""Load on ``steward serve`` against the same model behind a bare FastAPI endpoint.

Both servers run as subprocesses on loopback (uvicorn, one worker each) and answer the
same scikit-learn LogisticRegression (10 numeric features). Steward's runs on a SQLite store
in a temporary directory, the model registered and promoted through the Python API, with a
predict token made for the run; every answer is committed to the store before it is sent
(SQLite ``synchronous=FULL``), and window profiles are folded in the background. The bare
endpoint validates nothing, logs nothing and only calls ``predict`` and ``predict_proba``.

An async httpx client (this process) sends single-row requests at 1, 16 and 64 concurrent
clients for ``--seconds`` each (bare and Steward alternate at each level, so both see the
same machine load), then 1000-row requests at 4 clients to measure batched logging (rows/s
committed). It prints a table and the ratios against the issue's targets:

* p99 overhead over bare at 16 clients ≤ 5 ms,
* throughput ≥ 70 % of bare (at each concurrency),
* batched logging ≥ 100 000 rows/s.

The client shares the machine with both servers; on a small machine it is a large part of
the load, which the load average column shows. Run from the repository root::

    python bench/serve_load.py                 # ~10 s per cell (about 2 minutes)
    python bench/serve_load.py --seconds 3     # quick
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np
import pandas as pd

FEATURES = [f"f{i}" for i in range(10)]
BARE_APP = """
import numpy as np
import skops.io as sio
from fastapi import FastAPI, Request

model = sio.load({path!r}, trusted=sio.get_untrusted_types(file={path!r}))
features = {features!r}
app = FastAPI()


@app.post("/predict")
async def predict(request: Request) -> dict:
    body = await request.json()
    x = np.array([[row[f] for f in features] for row in body["rows"]], dtype=float)
    return {{"predictions": model.predict(x).tolist(),
            "scores": model.predict_proba(x).tolist()}}
"""


@dataclass
class Cell:
    """One measured run: who, how many clients, what happened."""

    target: str
    clients: int
    requests: int
    errors: int
    seconds: float
    latencies: np.ndarray
    rows: int
    load: float

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds

    def percentile(self, q: float) -> float:
        return (
            float(np.percentile(self.latencies, q)) * 1000 if len(self.latencies) else float("nan")
        )


# --- setup --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def training_frame(n: int = 2000) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(n, len(FEATURES))), columns=FEATURES)
    frame["y"] = (frame.f0 + 0.5 * frame.f1 - 0.3 * frame.f2 + rng.normal(0, 0.5, n) > 0).astype(
        int
    )
    return frame


def prepare(folder: Path) -> tuple[Path, str]:
    """Fit and save the model, register and promote it in a fresh store, make a token."""
    import skops.io as sio
    from sklearn.linear_model import LogisticRegression

    from steward.registry import ModelRegistry
    from steward.service.auth import create_token
    from steward.store import Store

    frame = training_frame()
    model = LogisticRegression().fit(frame[FEATURES].to_numpy(), frame.y)
    artifact = folder / "model.skops"
    sio.dump(model, artifact)
    home = folder / "home"
    store = Store.open(f"sqlite:///{home / 'steward.db'}", home_dir=home)
    registry = ModelRegistry(store)
    version = registry.register("bench", artifact, reference=frame, target="y", actor="bench")
    registry.promote("bench", version.version, actor="bench")
    token = create_token(store, "bench", ["predict"], actor="bench")[1]
    store.dispose()
    return artifact, token


def start(command: list[str], env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{command[:4]} exited: {log.read_text()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{command[:4]} did not start")


def start_steward(folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {
        **os.environ,
        "STEWARD_HOME": str(folder / "home"),
        "STEWARD_MONITOR_EVERY_S": "0",
        "STEWARD_RATE_LIMIT_PER_S": "1000000000",  # the benchmark is one token
        "STEWARD_RATE_LIMIT_BURST": "1000000000",
    }
    env.pop("STEWARD_DATABASE_URL", None)
    command = [sys.executable, "-m", "steward", "serve", "--port", str(port)]
    return start(command, env, port, folder / "steward.log"), f"http://127.0.0.1:{port}"


def start_bare(folder: Path, artifact: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    (folder / "bare_app.py").write_text(BARE_APP.format(path=str(artifact), features=FEATURES))
    command = [
        sys.executable, "-m", "uvicorn", "bare_app:app", "--port", str(port),
        "--workers", "1", "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(folder)}
    return start(command, env, port, folder / "bare.log"), f"http://127.0.0.1:{port}"


# --- load ---------------------------------------------------------------------------------


def request_rows(n: int, seed: int) -> list[dict[str, float]]:
    rng = np.random.default_rng(seed)
    values = rng.normal(size=(n, len(FEATURES))).round(4)
    return [dict(zip(FEATURES, map(float, row), strict=True)) for row in values]


async def run(
    target: str, url: str, path: str, token: str | None, clients: int, seconds: float, rows: int
) -> Cell:
    """``clients`` concurrent loops posting ``rows``-row requests for ``seconds``.

    Each loop has its own one-connection client: one shared httpx pool spends CPU scanning
    its waiting requests, which made the *client* the bottleneck at 64 loops.
    """
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    bodies = [{"rows": request_rows(rows, seed)} for seed in range(16)]
    latencies: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    pool = [
        httpx.AsyncClient(base_url=url, headers=headers, limits=limits, timeout=30)
        for _ in range(clients)
    ]
    for client in pool:  # connect and warm the model
        await client.post(path, json=bodies[0])
    deadline = time.perf_counter() + seconds

    async def loop(k: int) -> None:
        nonlocal errors
        client, i = pool[k], k
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            response = await client.post(path, json=bodies[i % len(bodies)])
            if response.status_code == 200:
                latencies.append(time.perf_counter() - started)
            else:
                errors += 1
            i += 1

    began = time.perf_counter()
    await asyncio.gather(*(loop(k) for k in range(clients)))
    elapsed = time.perf_counter() - began
    for client in pool:
        await client.aclose()
    done = np.array(latencies)
    return Cell(target, clients, len(done), errors, elapsed, done, rows, os.getloadavg()[0])


# --- report -------------------------------------------------------------------------------


def table(cells: list[Cell]) -> str:
    head = f"{'target':<8} {'clients':>7} {'rows/req':>8} {'req/s':>9} {'rows/s':>10} "
    head += f"{'p50 ms':>8} {'p99 ms':>8} {'errors':>6} {'load':>5}"
    lines = [head, "-" * len(head)]
    for c in cells:
        lines.append(
            f"{c.target:<8} {c.clients:>7} {c.rows:>8} {c.throughput:>9.0f} "
            f"{c.throughput * c.rows:>10.0f} {c.percentile(50):>8.2f} {c.percentile(99):>8.2f} "
            f"{c.errors:>6} {c.load:>5.1f}"
        )
    return "\n".join(lines)


def verdicts(cells: list[Cell], batched: Cell, stored: int) -> str:
    by = {(c.target, c.clients): c for c in cells}
    lines = ["targets (from the issue)"]
    for clients in sorted({c.clients for c in cells}):
        bare, steward = by[("bare", clients)], by[("steward", clients)]
        ratio = steward.throughput / bare.throughput
        lines.append(_line(f"throughput / bare, {clients} clients", ratio * 100, "%", 70, True))
        over = steward.percentile(99) - bare.percentile(99)
        if clients == 16:
            lines.append(_line("p99 overhead over bare, 16 clients", over, " ms", 5, False))
        else:
            lines.append(f"  (p99 overhead at {clients} clients: {over:.2f} ms)")
    rate = batched.throughput * batched.rows
    lines.append(_line("batched logging, 1000-row requests", rate, " rows/s", 100_000, True))
    lines.append(f"  (rows found in the store afterwards: {stored})")
    return "\n".join(lines)


def _line(label: str, value: float, unit: str, target: float, higher: bool) -> str:
    ok = value >= target if higher else value <= target
    sign = "≥" if higher else "≤"
    return f"  {label:<40} {value:>10.2f}{unit}  target {sign} {target:g}{unit}  " + (
        "PASS" if ok else "MISS"
    )


def stored_rows(folder: Path) -> int:
    import sqlite3

    with sqlite3.connect(folder / "home" / "steward.db") as db:
        return int(db.execute("SELECT count(*) FROM predictions").fetchone()[0])


async def main_async(args: argparse.Namespace, folder: Path) -> None:
    artifact, token = prepare(folder)
    steward, steward_url = start_steward(folder)
    bare, bare_url = start_bare(folder, artifact)
    path = "/v1/models/bench/predict"
    try:
        cells = []
        for clients in (1, 16, 64):
            cells.append(await run("bare", bare_url, "/predict", None, clients, args.seconds, 1))
            cells.append(await run("steward", steward_url, path, token, clients, args.seconds, 1))
            print(table(cells[-2:]).splitlines()[-2:], flush=True)
        batched = await run("steward", steward_url, path, token, 4, args.seconds, 1000)
        bare_batched = await run("bare", bare_url, "/predict", None, 4, args.seconds, 1000)
    finally:
        for process in (steward, bare):
            process.send_signal(signal.SIGTERM)
            process.wait(60)
    print()
    print(table([*cells, bare_batched, batched]))
    print()
    print(verdicts(cells, batched, stored_rows(folder)))
    print(f"\ncpus: {os.cpu_count()}, load average at the end: {os.getloadavg()}")
    print(f"both servers: {server_stack()}")


def server_stack() -> str:
    """What uvicorn's ``auto`` settings pick here: the same for both servers (each is left
    at ``http="auto"``, ``loop="auto"``, access log off), so the comparison is like for like."""
    import importlib.util

    http = "httptools" if importlib.util.find_spec("httptools") else "h11"
    loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    return f"uvicorn http={http}, loop={loop}, access log off, one worker"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="duration of each cell")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="steward-serve-bench-") as tmp:
        asyncio.run(main_async(args, Path(tmp)))


if __name__ == "__main__":
    main()
