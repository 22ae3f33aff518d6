"""A circuit breaker per model: stop calling a champion that keeps failing, probe it later.

States: ``closed`` (calls go through; failures are counted), ``open`` (after
``failures`` failures within ``window_s`` seconds no call goes through for ``reset_s``
seconds), ``half_open`` (after the reset time one probe call at a time goes through; its
success closes the breaker, its failure opens it again for another ``reset_s``).

The clock is a parameter so tests step time instead of sleeping.

>>> now = [0.0]
>>> breaker = CircuitBreaker(failures=2, window_s=10, reset_s=5, clock=lambda: now[0])
>>> breaker.record_failure(); breaker.record_failure(); breaker.state
'open'
>>> breaker.allow()
False
>>> now[0] = 6.0
>>> breaker.allow(), breaker.allow(), breaker.state
(True, False, 'half_open')
>>> breaker.record_success(); breaker.state
'closed'
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

Clock = Callable[[], float]


class CircuitBreaker:
    """Closed → open after ``failures`` failures in ``window_s`` → half-open after ``reset_s``."""

    def __init__(
        self,
        failures: int = 5,
        window_s: float = 30.0,
        reset_s: float = 10.0,
        clock: Clock = time.monotonic,
    ) -> None:
        self.failures = failures
        self.window_s = window_s
        self.reset_s = reset_s
        self.clock = clock
        self._lock = threading.Lock()
        self._reset()

    def _reset(self) -> None:
        self._state = "closed"
        self._recent: deque[float] = deque()
        self._opened_at = 0.0
        self._probing = False

    @property
    def state(self) -> str:
        """``closed``, ``open`` or ``half_open`` (an open breaker past its reset time reads
        ``half_open`` only once a call was allowed through as the probe)."""
        return self._state

    def allow(self) -> bool:
        """Whether a call may go to the model now; in half-open, only one probe at a time."""
        with self._lock:
            if self._state == "closed":
                return True
            if self._state == "open" and self.clock() - self._opened_at >= self.reset_s:
                self._state = "half_open"
            if self._state == "half_open" and not self._probing:
                self._probing = True
                return True
            return False

    def record_success(self) -> None:
        """A call succeeded: a probe closes the breaker; while closed, failures stay counted
        until they leave the window (a late success never closes an open breaker)."""
        with self._lock:
            if self._state == "half_open":
                self._reset()

    def record_failure(self) -> None:
        """A call failed or timed out: count it; open when the window holds enough."""
        with self._lock:
            now = self.clock()
            if self._state == "half_open":
                self._open(now)
                return
            self._recent.append(now)
            while self._recent and now - self._recent[0] > self.window_s:
                self._recent.popleft()
            if len(self._recent) >= self.failures:
                self._open(now)

    def release(self) -> None:
        """A call ended without telling anything about the model's health (bad input):
        a probe slot is given back so the next call can probe."""
        with self._lock:
            self._probing = False

    def _open(self, now: float) -> None:
        self._state = "open"
        self._opened_at = now
        self._probing = False
        self._recent.clear()


class Breakers:
    """One :class:`CircuitBreaker` per model, rebuilt when the model's settings change."""

    def __init__(self, clock: Clock = time.monotonic) -> None:
        self.clock = clock
        self._by_model: dict[str, tuple[tuple[int, float, float], CircuitBreaker]] = {}
        self._lock = threading.Lock()

    def get(self, model: str, failures: int, window_s: float, reset_s: float) -> CircuitBreaker:
        """The model's breaker with these parameters (state kept while they do not change)."""
        key = (failures, window_s, reset_s)
        with self._lock:
            found = self._by_model.get(model)
            if found is None or found[0] != key:
                found = (key, CircuitBreaker(failures, window_s, reset_s, self.clock))
                self._by_model[model] = found
            return found[1]

    def states(self) -> dict[str, str]:
        """``{model: state}`` for every model that has a breaker (for health pages)."""
        with self._lock:
            return {model: breaker.state for model, (_, breaker) in self._by_model.items()}
