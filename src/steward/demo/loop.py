"""The maintenance loop end to end on simulated days, through the real service and store.

Registers a first model and a fallback with the demo's plan, promotes the first to
champion, serves both through the HTTP API of an in-process ``steward serve`` (simulated
clock), sends daily traffic and the labels that have arrived, and runs one monitor pass
per day. The population and the default relation change on ``change_day``: drift alerts
fire, retraining registers a challenger that sees shadow traffic, the gate promotes it once
the labelled evidence suffices, and the error rate recovers.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from steward.demo import simulation, training
from steward.demo.server import InProcessServer
from steward.demo.timeline import Event, action_events

MODEL = "credit"
PLAN = Path(__file__).with_name("plan.yaml")
BATCH = 100


class SimClock:
    """A settable clock the service and the monitor read instead of the wall clock."""

    def __init__(self, start: datetime) -> None:
        self._now = start
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self._now

    def set(self, at: datetime) -> None:
        with self._lock:
            self._now = at


@dataclass
class LoopResult:
    home: Path
    events: list[Event] = field(default_factory=list)
    daily: list[dict[str, Any]] = field(default_factory=list)  # served accuracy per day
    shadow: dict[str, Any] = field(default_factory=dict)
    history: list[dict[str, Any]] = field(default_factory=list)
    reference: Any = None  # the first model's training data, scored by it
    traffic: list[Any] = field(default_factory=list)  # one Arrow table per day, as served
    url: str = ""


def run_loop(
    out_dir: Path,
    *,
    days: int = 35,
    rows_per_day: int = 400,
    change_day: int = 12,
    seed: int = 7,
    tell: Any = None,
) -> LoopResult:
    """Run the simulated loop with its store under ``out_dir/store``; return what happened."""
    from steward.plan import apply_plan
    from steward.registry import ModelRegistry
    from steward.store import Store

    tell = tell or (lambda stage, done, total: None)
    home = out_dir / "store"
    shutil.rmtree(home, ignore_errors=True)
    store = Store.open(f"sqlite:///{home / 'steward.db'}", home_dir=home)
    registry = ModelRegistry(store)
    result = LoopResult(home=home)
    clock = SimClock(simulation.START)
    try:
        tell("training the first model", 0, days)
        result.reference = _register_first(registry, seed)
        apply_plan(store, PLAN.read_text(), actor="demo")
        registry.promote(MODEL, 1, actor="demo", reason="first release")
        registry.promote(MODEL, 2, alias="fallback", actor="demo", reason="small, stable model")
        result.events.append(
            Event(0, clock(), "setup", "registered v1 (champion) and v2 (fallback); plan v1")
        )
        _serve_days(store, registry, clock, result, days, rows_per_day, change_day, seed, tell)
        result.history = [e.to_dict() for e in registry.history(MODEL)]
    finally:
        store.dispose()
    return result


def _register_first(registry: Any, seed: int) -> Any:
    """Register v1 (the champion to be) and v2 (a small fallback); v1's scored reference."""
    reference = simulation.reference(20_000, seed)
    model = training.fit(reference)
    with tempfile.TemporaryDirectory() as tmp:
        first = training.save(model, Path(tmp) / "v1.skops")
        small = training.save(training.fit(reference.slice(0, 2_000)), Path(tmp) / "v2.skops")
        for path, note in ((first, "trained on 20k applicants"), (small, "fallback, 2k rows")):
            registry.register(
                MODEL,
                path,
                reference=reference,
                target="defaulted",
                actor="demo",
                lineage={"tags": {"note": note}, "code_version": "demo"},
            )
    return simulation.scored(reference, model)


def _serve_days(
    store: Any,
    registry: Any,
    clock: SimClock,
    result: LoopResult,
    days: int,
    rows_per_day: int,
    change_day: int,
    seed: int,
    tell: Any,
) -> None:
    from steward.monitor import run_pass
    from steward.service.app import create_app
    from steward.service.auth import create_token
    from steward.service.settings import ServiceSettings

    settings = ServiceSettings(monitor_every_s=0, auth_cache_ttl_s=60, rate_limit_per_s=1e6)
    app = create_app(store, settings, clock=clock)
    token = create_token(store, "demo-client", ["predict", "label", "read"], actor="demo")[1]
    pending: list[tuple[datetime, str, int]] = []
    schedule = simulation.days(days, rows_per_day, change_day, seed)
    with (
        InProcessServer(app) as server,
        httpx.Client(
            base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=60
        ) as http,
    ):
        result.url = server.url
        for day in schedule:
            tell("simulating days", day.index, days)
            served = _send_traffic(http, clock, day)
            result.daily.append(_daily_accuracy(day, served))
            result.traffic.append(simulation.served_table(day, served))
            pending += list(zip(day.label_at, day.ids, day.labels.tolist(), strict=True))
            end = day.start + timedelta(days=1)
            clock.set(end)
            pending = _send_labels(http, pending, end)
            outcome = run_pass(store, now=end, models=[MODEL]).models[0]
            result.events += _pass_events(day.index, end, outcome)
            if outcome.actions:
                app.state.gateway.invalidate(MODEL)
        tell("simulating days", days, days)
        result.shadow = http.get(f"/v1/models/{MODEL}/shadow").json()


def _send_traffic(http: httpx.Client, clock: SimClock, day: simulation.Day) -> list[dict[str, Any]]:
    answers = []
    step = timedelta(days=1) / max(1, len(day.rows) // BATCH)
    for index, begin in enumerate(range(0, len(day.rows), BATCH)):
        clock.set(day.start + index * step)
        response = http.post(
            f"/v1/models/{MODEL}/predict",
            json={"rows": day.rows[begin : begin + BATCH], "ids": day.ids[begin : begin + BATCH]},
        )
        response.raise_for_status()
        answers.append(response.json())
    return answers


def _send_labels(
    http: httpx.Client, pending: list[tuple[datetime, str, int]], now: datetime
) -> list[tuple[datetime, str, int]]:
    due = [p for p in pending if p[0] <= now]
    for begin in range(0, len(due), 2_000):
        chunk = due[begin : begin + 2_000]
        response = http.post(
            f"/v1/models/{MODEL}/labels",
            json={"ids": [c[1] for c in chunk], "labels": [c[2] for c in chunk]},
        )
        response.raise_for_status()
    return [p for p in pending if p[0] > now]


def _daily_accuracy(day: simulation.Day, served: list[dict[str, Any]]) -> dict[str, Any]:
    predictions = np.array([p for answer in served for p in answer["predictions"]])
    versions = sorted({answer["version"] for answer in served})
    by = sorted({answer["served_by"] for answer in served})
    accuracy = float((predictions == day.labels).mean())
    return {"day": day.index, "accuracy": accuracy, "versions": versions, "served_by": by}


def _pass_events(day: int, at: datetime, outcome: Any) -> list[Event]:
    events = [
        Event(day, at, "alert", f"alert {rule} fired", {"rule": rule})
        for rule in dict.fromkeys(outcome.fired_rules)
    ]
    return events + action_events(day, at, outcome.actions)
