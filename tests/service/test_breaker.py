"""The circuit breaker's state machine, stepped with a fake clock."""

from __future__ import annotations

import pytest

from steward.service.breaker import Breakers, CircuitBreaker


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def _breaker(clock: Clock) -> CircuitBreaker:
    return CircuitBreaker(failures=3, window_s=10.0, reset_s=5.0, clock=clock)


def test_opens_after_n_failures_within_the_window(clock: Clock) -> None:
    breaker = _breaker(clock)
    for _ in range(2):
        breaker.record_failure()
        assert breaker.allow() and breaker.state == "closed"
    breaker.record_failure()
    assert breaker.state == "open"
    assert not breaker.allow()


def test_failures_outside_the_window_do_not_count(clock: Clock) -> None:
    breaker = _breaker(clock)
    breaker.record_failure()
    breaker.record_failure()
    clock.now += 11
    breaker.record_failure()
    assert breaker.state == "closed"
    breaker.record_failure()
    breaker.record_failure()
    assert breaker.state == "open"


def test_stays_open_until_the_reset_time(clock: Clock) -> None:
    breaker = _breaker(clock)
    for _ in range(3):
        breaker.record_failure()
    clock.now += 4.9
    assert not breaker.allow()
    clock.now += 0.2
    assert breaker.allow()
    assert breaker.state == "half_open"


def test_half_open_lets_one_probe_at_a_time(clock: Clock) -> None:
    breaker = _breaker(clock)
    for _ in range(3):
        breaker.record_failure()
    clock.now += 5
    assert [breaker.allow() for _ in range(3)] == [True, False, False]


def test_probe_success_closes(clock: Clock) -> None:
    breaker = _breaker(clock)
    for _ in range(3):
        breaker.record_failure()
    clock.now += 5
    assert breaker.allow()
    breaker.record_success()
    assert breaker.state == "closed"
    assert all(breaker.allow() for _ in range(5))
    breaker.record_failure()
    assert breaker.state == "closed"  # the count started again


def test_probe_failure_reopens_for_another_reset_period(clock: Clock) -> None:
    breaker = _breaker(clock)
    for _ in range(3):
        breaker.record_failure()
    clock.now += 5
    assert breaker.allow()
    breaker.record_failure()
    assert breaker.state == "open"
    clock.now += 4
    assert not breaker.allow()
    clock.now += 1
    assert breaker.allow()


def test_released_probe_lets_the_next_call_probe(clock: Clock) -> None:
    breaker = _breaker(clock)
    for _ in range(3):
        breaker.record_failure()
    clock.now += 5
    assert breaker.allow()
    breaker.release()
    assert breaker.allow()


def test_late_success_does_not_close_an_open_breaker(clock: Clock) -> None:
    breaker = _breaker(clock)
    for _ in range(3):
        breaker.record_failure()
    breaker.record_success()
    assert breaker.state == "open"


def test_breakers_are_per_model_and_follow_settings(clock: Clock) -> None:
    breakers = Breakers(clock)
    a = breakers.get("a", 1, 10, 5)
    a.record_failure()
    assert breakers.get("a", 1, 10, 5) is a
    assert breakers.get("b", 1, 10, 5).state == "closed"
    assert breakers.states() == {"a": "open", "b": "closed"}
    assert breakers.get("a", 2, 10, 5).state == "closed"  # new settings, new breaker
