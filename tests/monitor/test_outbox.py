"""The outbox: retries with backoff, a restart in the middle, exactly-once per alert state.

Everything runs on a SQLite file and on PostgreSQL (the ``store_url`` fixture); a restart
is a new ``Store`` object on the same URL with new manager objects.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

import pytest
from alert_helpers import Receiver, add_model, day, drifting, free_port, plan, rule
from sqlalchemy import select

from steward.monitor.alerts import AlertManager
from steward.monitor.outbox import LEASE, Backoff, claim, deliver_due
from steward.plan.schema import Route
from steward.store import Store
from steward.store.tables import OutboxRow


def rows(store) -> list[OutboxRow]:
    with store.session() as session:
        return list(session.scalars(select(OutboxRow).order_by(OutboxRow.id)))


def webhook_plan(url: str, max_attempts: int = 10):
    route = {"name": "ops", "type": "webhook", "url": url, "max_attempts": max_attempts}
    return plan([rule(routes=["ops"])], [route])


def routes_of(the_plan) -> dict[str, Route]:
    return {r.name: r for r in the_plan.alerts.routes}


def fire_once(store, the_plan, columns: int = 1) -> int:
    """One alert firing at the end of day 1, queued at day 0 (the manager's clock)."""
    model = add_model(store)
    AlertManager(store, clock=lambda: day(0)).process(
        model, "credit", the_plan, day(1), drifting(columns)
    )
    return model


def queue_three_states(store, the_plan) -> int:
    """Fire, resolve, fire again: three alert states, one webhook message each."""
    model = add_model(store)
    manager = AlertManager(store, clock=lambda: day(0))
    for n, findings in enumerate([drifting(3), [], drifting(3)], start=1):
        manager.process(model, "credit", the_plan, day(n), findings)
    return model


def test_receiver_down_then_restart_then_up_delivers_each_state_exactly_once(
    store_url, tmp_path: Path
):
    receiver = Receiver(free_port())
    the_plan = webhook_plan(receiver.url)
    routes = routes_of(the_plan)
    first = Store.open(store_url, home_dir=tmp_path / "home")
    model = queue_three_states(first, the_plan)

    # the receiver is down: every attempt fails, the retry time grows; the resolution of
    # the first alert waits behind its firing message (per-alert order)
    now = day(4)
    delays = []
    for _ in range(3):
        stats = deliver_due(first, routes, now=now)
        assert (stats.sent, stats.failed, stats.dead) == (0, 2, 0)
        assert all(r.state == "pending" for r in rows(first))
        retry_at = min(r.next_attempt_at for r in rows(first) if r.attempts)
        delays.append(retry_at - now)
        assert deliver_due(first, routes, now=now).attempted == 0  # nothing due yet
        now = max(r.next_attempt_at for r in rows(first))
    assert delays[0] < delays[1] < delays[2]
    assert [r.attempts for r in rows(first)] == [3, 0, 3]
    first.dispose()

    # restart: new store object, new manager; re-processing the last window queues nothing
    second = Store.open(store_url, home_dir=tmp_path / "home")
    AlertManager(second).process(model, "credit", the_plan, day(3), drifting(3))
    assert len(rows(second)) == 3

    with receiver.running():
        stats = deliver_due(second, routes, now=now)
        again = deliver_due(second, routes, now=now + timedelta(days=30))
    second.dispose()
    assert (stats.sent, stats.failed, again.attempted) == (3, 0, 0)
    ids = [body["id"] for body in receiver.bodies]
    assert len(ids) == 3 and len(set(ids)) == 3
    assert [body["status"] for body in receiver.bodies] == ["firing", "resolved", "firing"]
    assert {r.state for r in rows(Store.open(store_url, home_dir=tmp_path / "home"))} == {"sent"}


def test_a_message_goes_dead_after_max_attempts(store):
    the_plan = webhook_plan(f"http://127.0.0.1:{free_port()}/x", max_attempts=2)
    fire_once(store, the_plan, 1)
    first = deliver_due(store, routes_of(the_plan), now=day(2))
    second = deliver_due(store, routes_of(the_plan), now=day(3))
    assert (first.failed, first.dead, second.failed, second.dead) == (1, 0, 0, 1)
    (row,) = rows(store)
    assert (row.state, row.attempts) == ("dead", 2)
    assert "ConnectError" in row.last_error
    assert deliver_due(store, routes_of(the_plan), now=day(30)).attempted == 0


def test_backoff_doubles_up_to_the_cap_with_bounded_jitter():
    policy = Backoff(base_s=2, cap_s=60, jitter=0.1)
    seconds = [policy.delay(n).total_seconds() for n in range(1, 9)]
    for got, want in zip(seconds, [2, 4, 8, 16, 32, 60, 60, 60], strict=True):
        assert want <= got <= want * 1.1


def test_a_sent_message_is_never_sent_again(store):
    with Receiver(free_port()).running() as receiver:
        the_plan = webhook_plan(receiver.url)
        queue_three_states(store, the_plan)
        assert deliver_due(store, routes_of(the_plan), now=day(4)).sent == 3
        for later in range(5, 10):
            assert deliver_due(store, routes_of(the_plan), now=day(later)).attempted == 0
    assert len(receiver.bodies) == 3
    assert all(r.sent_at == day(4) and r.attempts == 1 for r in rows(store))


def test_a_crash_between_claim_and_record_resends_once_after_the_lease(store):
    """The documented at-least-once edge: the claimed row comes back when its lease ends."""
    with Receiver(free_port()).running() as receiver:
        the_plan = webhook_plan(receiver.url)
        fire_once(store, the_plan, 1)
        routes = routes_of(the_plan)
        crashed = claim(store, routes, day(2))  # claimed, then "the process died"
        assert crashed is not None
        assert deliver_due(store, routes, now=day(2) + LEASE / 2).attempted == 0  # leased
        stats = deliver_due(store, routes, now=day(2) + LEASE + timedelta(minutes=1))
    assert stats.sent == 1 and [b["id"] for b in receiver.bodies] == [crashed.key]
    (row,) = rows(store)
    assert (row.state, row.attempts) == ("sent", 2)


def test_rows_of_routes_the_caller_does_not_know_are_left_alone(store):
    the_plan = webhook_plan("http://127.0.0.1:9/x")
    fire_once(store, the_plan, 1)
    assert deliver_due(store, {}, now=day(2)).attempted == 0
    (row,) = rows(store)
    assert (row.state, row.attempts) == ("pending", 0)


def test_log_route_is_implied_and_delivers(store, caplog):
    fire_once(store, plan([rule()]), 2)
    with caplog.at_level("INFO", logger="steward.alerts"):
        assert deliver_due(store, {}, now=day(2)).sent == 1
    assert [r.name for r in caplog.records] == ["steward.alerts"]


def test_silenced_messages_are_never_delivered(store):
    with Receiver(free_port()).running() as receiver:
        the_plan = webhook_plan(receiver.url)
        model = add_model(store)
        manager = AlertManager(store, clock=lambda: day(1))
        manager.silence(model, None, day(9), "ops")
        manager.process(model, "credit", the_plan, day(1), drifting(1))
        assert deliver_due(store, routes_of(the_plan), now=day(10)).attempted == 0
    assert receiver.bodies == []


@pytest.mark.parametrize("workers", [3])
def test_concurrent_deliverers_send_each_message_once(store_url, tmp_path: Path, workers):
    with Receiver(free_port()).running() as receiver:
        the_plan = webhook_plan(receiver.url)
        setup = Store.open(store_url, home_dir=tmp_path / "home")
        model = add_model(setup)
        manager = AlertManager(setup, clock=lambda: day(0))
        for n in range(1, 13):  # 6 firings and 6 resolutions
            manager.process(model, "credit", the_plan, day(n), drifting(1) if n % 2 else [])
        stores = [Store.open(store_url, home_dir=tmp_path / "home") for _ in range(workers)]
        threads = [
            threading.Thread(target=deliver_due, args=(s, routes_of(the_plan), day(20)))
            for s in stores
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for opened in [setup, *stores]:
            opened.dispose()
    ids = [body["id"] for body in receiver.bodies]
    assert len(ids) == 12 and len(set(ids)) == 12
