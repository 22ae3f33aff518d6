"""Alert rules without a store: the state machine table and rule evaluation."""

from __future__ import annotations

import doctest

import pytest
from alert_helpers import day, drift, drifting

import steward.monitor.rules
from steward.findings import Finding, Verdict
from steward.monitor.rules import (
    AlertState,
    annotate_persistence,
    evaluate,
    group_key,
    is_sustained,
    step,
)
from steward.plan.schema import AlertRule
from steward.windows import Persistence


def make_rule(for_: int = 1, keep: int = 0, **when: object) -> AlertRule:
    condition = {"check": "drift.*", **when}
    return AlertRule.model_validate(
        {"name": "r", "when": condition, "for": for_, "keep_firing_for": keep}
    )


def run(rule: AlertRule, inputs: list[bool]) -> tuple[list[str], list[AlertState]]:
    state, states, seen = None, [], []
    for i, true in enumerate(inputs):
        state, _ = step(state, true, day(i), rule)
        states.append(state.state)
        seen.append(state)
    return states, seen


STATES = {"I": "inactive", "P": "pending", "F": "firing", "R": "resolved"}


@pytest.mark.parametrize(
    ("for_", "keep", "inputs", "expected"),
    [  # inputs: T true / F false window; expected: Inactive, Pending, Firing, Resolved
        (1, 0, "T", "F"),
        (1, 0, "FTF", "IFR"),
        (3, 0, "TTT", "PPF"),  # for=3 fires on the third consecutive true window
        (3, 0, "TTFTTT", "PPIPPF"),  # a false window resets pending
        (3, 0, "TFTTFT", "PIPPIP"),
        (1, 2, "TFFF", "FFFR"),  # keep_firing_for=2 resolves on the third false window
        (1, 2, "TFFTFFF", "FFFFFFR"),  # a true window restarts the false count
        (2, 1, "TTFFFTT", "PFFRRPF"),  # resolved, then true again: a new instance
    ],
)
def test_state_machine_table(for_, keep, inputs, expected):
    states, _ = run(make_rule(for_, keep), [c == "T" for c in inputs])
    assert states == [STATES[c] for c in expected]


def test_transitions_are_reported_only_on_change():
    rule = make_rule(for_=2)
    state, change = step(None, False, day(0), rule)
    assert change is None and state.state == "inactive"
    state, change = step(state, True, day(1), rule)
    assert (change.previous, change.state, change.at) == ("inactive", "pending", day(1))
    state, change = step(state, True, day(2), rule)
    assert (change.previous, change.state) == ("pending", "firing")
    assert state.fired_at == day(2) and state.pending_since == day(1)
    state, change = step(state, True, day(3), rule)
    assert change is None and state.fired_at == day(2)


def test_resolved_then_true_is_a_new_instance_with_a_new_firing_time():
    _, seen = run(make_rule(for_=1), [True, False, True])
    first, resolved, second = seen
    assert resolved.state == "resolved" and resolved.resolved_at == day(1)
    assert second.state == "firing" and second.fired_at == day(2) != first.fired_at
    assert second.resolved_at is None


def test_the_default_groups_every_column_of_a_model_into_one_evaluation():
    found = evaluate(make_rule(), drifting(10), model="credit")
    assert list(found) == ["model=credit"]
    only = found["model=credit"]
    assert only.true and len(only.findings) == 10 and only.value == 10.0
    assert only.group == {"model": "credit"}


def test_group_by_column_gives_one_evaluation_per_column():
    rule = AlertRule.model_validate(
        {"name": "r", "when": {"check": "drift.*"}, "group_by": ["column"]}
    )
    found = evaluate(rule, drifting(10), model="m")
    assert sorted(found) == sorted(group_key("m", {"column": f"f{i}"}) for i in range(10))
    assert all(e.true and len(e.findings) == 1 for e in found.values())
    assert found["model=m|column=f3"].group == {"model": "m", "column": "f3"}


def test_group_by_check_and_column_and_ok_groups_evaluate_false():
    rule = AlertRule.model_validate(
        {"name": "r", "when": {"check": "drift.*"}, "group_by": ["check", "column"]}
    )
    found = evaluate(rule, [drift("a"), drift("b", "ok")], model="m")
    assert found["model=m|check=drift.ks|column=a"].true
    assert not found["model=m|check=drift.ks|column=b"].true


def test_no_matching_findings_is_a_false_evaluation_of_the_model_group():
    found = evaluate(make_rule(), drifting(3, "ok"), model="m")
    assert list(found) == ["model=m"] and not found["model=m"].true
    assert found["model=m"].findings == ()


def test_verdicts_check_and_column_patterns_filter_findings():
    quality = Finding("quality.missing_rate", "a", 0.5, Verdict.FAIL)
    found = [drift("age"), drift("income", "warn"), quality]
    assert len(evaluate(make_rule(), found)["model="].findings) == 1
    warn_too = make_rule(verdicts=["warn", "fail"])
    assert len(evaluate(warn_too, found)["model="].findings) == 2
    on_age = make_rule(column="inc*", verdicts=["warn"])
    assert [f.column for f in evaluate(on_age, found)["model="].findings] == ["income"]
    everything = make_rule(check="*")
    assert len(evaluate(everything, found)["model="].findings) == 2


def test_min_count():
    rule = make_rule(min_count=3)
    assert not evaluate(rule, drifting(2))["model="].true
    assert evaluate(rule, drifting(3))["model="].true


def test_sustained_matches_only_sustained_findings():
    rule = make_rule(sustained=True)
    transient = [drift("a", persistence="transient"), drift("b")]
    assert not evaluate(rule, transient)["model="].true
    sustained = evaluate(rule, [*transient, drift("c", persistence="sustained")])["model="]
    assert sustained.true and [f.column for f in sustained.findings] == ["c"]
    event = Finding("outlier.event", None, 0.2, Verdict.FAIL, details={"kind": "sustained"})
    assert is_sustained(event)


@pytest.mark.parametrize(
    ("op", "value", "true"),
    [("<", 0.8, True), ("<", 0.7, False), (">=", 0.75, True), ("!=", 0.75, False)],
)
def test_metric_conditions_compare_the_statistic(op, value, true):
    rule = AlertRule.model_validate(
        {"name": "acc", "when": {"metric": "performance.accuracy", "op": op, "value": value}}
    )
    accuracy = Finding("performance.accuracy", None, 0.75, Verdict.OK)
    found = evaluate(rule, [accuracy, drift("a")], model="m")["model=m"]
    assert found.true is true
    assert found.value == 0.75
    assert found.findings == ((accuracy,) if true else ())


def test_a_metric_without_a_statistic_is_not_true():
    rule = AlertRule.model_validate(
        {"name": "acc", "when": {"metric": "performance.accuracy", "op": "<", "value": 0.9}}
    )
    missing = Finding("performance.accuracy", None, None, Verdict.UNRELIABLE)
    found = evaluate(rule, [missing])["model="]
    assert not found.true and found.value is None


def test_annotate_persistence_looks_backwards_with_k_of_n():
    rule = Persistence(k=3, n=4)
    now = [drift("a"), drift("b"), drift("c", "ok"), Finding("quality.x", "a", 1.0, Verdict.FAIL)]
    previous = {"a": [True, False, True], "b": [False, False, False]}
    marked = annotate_persistence(now, previous, rule)
    assert [f.details.get("persistence") for f in marked] == [
        "sustained",
        "transient",
        "none",
        None,
    ]
    assert now[0].details == {}  # the input findings are not changed


def test_rules_doctests():
    assert doctest.testmod(steward.monitor.rules).failed == 0
