"""Alert state in the store: transitions, grouping, idempotence, silences (SQLite and PG)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from alert_helpers import Clock, add_model, day, drift, drifting, plan, rule
from sqlalchemy import select

from steward._exceptions import InputError
from steward.monitor.alerts import AlertManager
from steward.store.tables import AlertRow, AuditRow, OutboxRow


def outbox(store) -> list[OutboxRow]:
    with store.session() as session:
        return list(session.scalars(select(OutboxRow).order_by(OutboxRow.id)))


def alerts(store) -> list[AlertRow]:
    with store.session() as session:
        return list(session.scalars(select(AlertRow).order_by(AlertRow.id)))


@pytest.fixture
def model(store) -> int:
    return add_model(store)


def feed(manager, model, the_plan, windows) -> list:
    """Process one window per entry (a list of findings), day 1, 2, …; all transitions."""
    changes = []
    for n, findings in enumerate(windows, start=1):
        changes += manager.process(model, "credit", the_plan, day(n), findings)
    return changes


def test_ten_drifting_columns_are_one_alert_and_one_notification(store, model):
    manager = AlertManager(store, clock=Clock(day(1)))
    changes = manager.process(model, "credit", plan([rule()]), day(1), drifting(10))
    assert [(c.previous, c.state, c.key) for c in changes] == [
        ("inactive", "firing", "model=credit")
    ]
    (message,) = outbox(store)
    assert message.route == "log" and message.state == "pending"
    assert message.payload["evidence"]["columns"] == [f"f{i}" for i in range(10)]
    assert len(message.payload["evidence"]["findings"]) == 10
    assert message.payload["status"] == "firing" and message.payload["id"] == message.key
    assert message.key == f"{changes[0].alert_id}:firing:{day(1).isoformat()}:log"
    assert message.payload["group"] == {"model": "credit"}
    assert "f0, f1" in message.payload["summary"]


def test_group_by_column_gives_ten_alerts_and_ten_notifications(store, model):
    manager = AlertManager(store, clock=Clock(day(1)))
    grouped = plan([rule(group_by=["column"])])
    changes = manager.process(model, "credit", grouped, day(1), drifting(10))
    assert len(changes) == 10 and {c.state for c in changes} == {"firing"}
    messages = outbox(store)
    assert len(messages) == 10
    assert sorted(m.payload["group"]["column"] for m in messages) == sorted(
        f"f{i}" for i in range(10)
    )


def test_firing_resolving_and_firing_again_queue_one_message_per_state(store, model):
    manager = AlertManager(store, clock=Clock(day(1)))
    the_plan = plan([rule(**{"for": 2, "keep_firing_for": 1})])
    bad, good = drifting(2), drifting(2, "ok")
    changes = feed(manager, model, the_plan, [bad, bad, good, good, bad, bad])
    assert [(c.state, c.at) for c in changes] == [
        ("pending", day(1)),
        ("firing", day(2)),
        ("resolved", day(4)),
        ("pending", day(5)),
        ("firing", day(6)),
    ]
    first, second = alerts(store)
    assert (first.state, first.fired_at, first.resolved_at) == ("resolved", day(2), day(4))
    assert (second.state, second.fired_at) == ("firing", day(6))
    assert [(m.alert_id, m.payload["status"]) for m in outbox(store)] == [
        (first.id, "firing"),
        (first.id, "resolved"),
        (second.id, "firing"),
    ]
    resolved = outbox(store)[1].payload
    assert resolved["resolved_at"] == day(4).isoformat()
    assert resolved["fired_at"] == day(2).isoformat()
    assert resolved["evidence"]["columns"] == ["f0", "f1"]  # what made it fire


def test_a_pending_alert_that_turns_false_sends_nothing(store, model):
    manager = AlertManager(store, clock=Clock(day(1)))
    the_plan = plan([rule(**{"for": 3})])
    changes = feed(manager, model, the_plan, [drifting(1), drifting(1), [], drifting(1)])
    assert [c.state for c in changes] == ["pending", "inactive", "pending"]
    assert outbox(store) == []
    (row,) = alerts(store)  # the same row is reused while no alert fired
    assert (row.state, row.true_streak, row.evaluations) == ("pending", 1, 4)


def test_processing_a_window_twice_or_an_older_window_changes_nothing(store, model):
    manager = AlertManager(store, clock=Clock(day(1)))
    the_plan = plan([rule(**{"for": 2})])
    feed(manager, model, the_plan, [drifting(3), drifting(3)])
    before = [(a.state, a.evaluations, a.window_end) for a in alerts(store)]
    assert manager.process(model, "credit", the_plan, day(2), drifting(3)) == []
    assert manager.process(model, "credit", the_plan, day(1), []) == []
    assert [(a.state, a.evaluations, a.window_end) for a in alerts(store)] == before
    assert len(outbox(store)) == 1
    restarted = AlertManager(store)
    assert restarted.process(model, "credit", the_plan, day(2), []) == []
    assert len(outbox(store)) == 1


def test_each_route_of_a_rule_gets_its_own_message(store, model):
    routes = [{"name": "ops", "type": "webhook", "url": "http://127.0.0.1:9/x"}]
    the_plan = plan([rule(routes=["ops", "log"])], routes)
    AlertManager(store).process(model, "credit", the_plan, day(1), drifting(1))
    assert sorted(m.route for m in outbox(store)) == ["log", "ops"]
    assert len({m.key for m in outbox(store)}) == 2


def test_groups_per_column_resolve_on_their_own(store, model):
    manager = AlertManager(store)
    the_plan = plan([rule(group_by=["column"])])
    feed(manager, model, the_plan, [[drift("a"), drift("b")], [drift("a"), drift("b", "ok")]])
    states = {a.group_key: a.state for a in alerts(store)}
    assert states == {"model=credit|column=a": "firing", "model=credit|column=b": "resolved"}
    # a group absent from a window counts as false
    feed_more = manager.process(model, "credit", the_plan, day(3), [])
    assert [(c.key, c.state) for c in feed_more] == [("model=credit|column=a", "resolved")]


def test_finding_ids_are_kept_as_evidence(store, model):
    manager = AlertManager(store)
    findings = drifting(2)
    manager.process(model, "credit", plan([rule()]), day(1), findings, finding_ids=[11, 12])
    (row,) = alerts(store)
    assert [f["finding_id"] for f in row.evidence["findings"]] == [11, 12]
    with pytest.raises(InputError, match="2 findings"):
        manager.process(model, "credit", plan([rule()]), day(2), findings, finding_ids=[1])


def test_silences_mute_notifications_in_their_range_only(store, model):
    clock = Clock(day(1))
    manager = AlertManager(store, clock=clock)
    the_plan = plan([rule("drift"), rule("other", when={"check": "quality.*"})])
    silence_id = manager.silence(model, "drift", day(3), "alice", "maintenance")
    for n, findings in enumerate([drifting(1), [], drifting(1)], start=1):
        clock.now = day(n) + timedelta(minutes=5)
        manager.process(model, "credit", the_plan, day(n), findings)
    states = [(m.payload["status"], m.state) for m in outbox(store)]
    assert states == [("firing", "silenced"), ("resolved", "silenced"), ("firing", "pending")]
    assert outbox(store)[0].last_error == "silenced"
    assert [a.state for a in alerts(store)] == ["resolved", "firing"]  # state still advanced
    with store.session() as session:
        (audit,) = session.scalars(select(AuditRow))
    assert (audit.action, audit.actor, audit.model_id) == ("alert.silence", "alice", model)
    assert audit.details["silence_id"] == silence_id and audit.details["rule"] == "drift"


def test_a_silence_for_another_rule_or_model_does_not_mute(store, model):
    other_model = add_model(store, "other")
    manager = AlertManager(store, clock=Clock(day(1)))
    manager.silence(model, "not-this-rule", day(5), "bob")
    manager.silence(other_model, None, day(5), "bob")
    manager.process(model, "credit", plan([rule()]), day(1), drifting(1))
    assert [m.state for m in outbox(store)] == ["pending"]


def test_a_silence_for_every_rule_and_model_mutes_everything(store, model):
    manager = AlertManager(store, clock=Clock(day(1)))
    manager.silence(None, None, day(2), "carol", "all hands")
    manager.process(model, "credit", plan([rule("a"), rule("b")]), day(1), drifting(1))
    assert [m.state for m in outbox(store)] == ["silenced", "silenced"]


def test_a_silence_must_end_after_it_starts(store, model):
    manager = AlertManager(store, clock=Clock(day(2)))
    with pytest.raises(InputError, match="end after"):
        manager.silence(model, None, day(1), "dave")


def test_active_alerts_lists_pending_and_firing(store, model):
    manager = AlertManager(store)
    the_plan = plan([rule("fast"), rule("slow", **{"for": 3})])
    manager.process(model, "credit", the_plan, day(1), drifting(4))
    active = manager.active_alerts(model)
    assert [(a.rule, a.state, a.severity) for a in active] == [
        ("fast", "firing", "warning"),
        ("slow", "pending", "warning"),
    ]
    assert active[0].evidence["columns"] == ["f0", "f1", "f2", "f3"]
    assert manager.active_alerts(model + 100) == []
