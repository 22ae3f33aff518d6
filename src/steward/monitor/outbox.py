"""Delivery of queued notifications, with retries that survive a restart.

The outbox lives in the store (:class:`~steward.store.tables.OutboxRow`), so a message
queued before a crash or a restart is still there afterwards. :func:`deliver_due` works
row by row in three short transactions, never holding a lock while it talks to a receiver:

1. **claim** — the oldest due ``pending`` row, in order per alert (PostgreSQL:
   ``FOR UPDATE SKIP LOCKED``, so replicas never claim the same row; SQLite: the write lock
   of ``BEGIN IMMEDIATE``) gets its attempt counted and a lease: ``next_attempt_at`` moves
   :data:`LEASE` past the send timeout, so no other worker picks it up meanwhile;
2. **send** — through the notifier registered for the route's type;
3. **record** — ``sent`` with ``sent_at``, or back to ``pending`` with exponential backoff
   ``min(base · 2^(attempts-1), cap)`` plus jitter, or ``dead`` after ``max_attempts``.

A row marked ``sent`` is never sent again, and the outbox key makes each alert state one row
per route. The one honest edge: a process that dies *after* a receiver accepted a message
but *before* step 3 committed sends that message once more when the lease runs out
(at-least-once). Payloads carry their outbox key as ``id`` so a receiver can drop the
repeat.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import aliased

from steward._exceptions import NotificationError
from steward.monitor.notify import send
from steward.plan.schema import Route
from steward.store import Store
from steward.store.tables import OutboxRow, utcnow

LEASE = timedelta(seconds=60)  # added to the route's timeout while a claimed row is sent
LOG_ROUTE = Route(name="log", type="log")  # plans may name ``log`` without declaring it


@dataclass(frozen=True)
class Backoff:
    """Delay before retry number ``attempts``: doubling from ``base_s``, capped, jittered."""

    base_s: float = 5.0
    cap_s: float = 3600.0
    jitter: float = 0.1

    def delay(self, attempts: int, rng: random.Random | None = None) -> timedelta:
        raw = min(self.base_s * 2 ** max(attempts - 1, 0), self.cap_s)
        spread = 1.0 + self.jitter * (rng or random).random()
        return timedelta(seconds=raw * spread)


@dataclass
class DeliveryStats:
    """What one :func:`deliver_due` call did."""

    sent: int = 0
    failed: int = 0  # attempts that failed and will be retried
    dead: int = 0  # rows that used their last attempt
    errors: list[str] = field(default_factory=list)

    @property
    def attempted(self) -> int:
        return self.sent + self.failed + self.dead


@dataclass(frozen=True)
class Claim:
    """A claimed outbox row, detached from its session."""

    id: int
    key: str
    route: str
    payload: dict[str, Any]
    attempts: int


def deliver_due(
    store: Store,
    routes: Mapping[str, Route],
    now: datetime | None = None,
    limit: int = 100,
    backoff: Backoff | None = None,
) -> DeliveryStats:
    """Send up to ``limit`` due messages for the named ``routes`` (``log`` is implied).

    Rows for routes not in ``routes`` are left alone for a caller that knows them.
    """
    at = now or utcnow()
    known = {LOG_ROUTE.name: LOG_ROUTE, **routes}
    policy = backoff or Backoff()
    stats = DeliveryStats()
    for _ in range(limit):
        claimed = claim(store, known, at)
        if claimed is None:
            break
        _deliver(store, claimed, known[claimed.route], at, policy, stats)
    return stats


def claim(store: Store, routes: Mapping[str, Route], now: datetime) -> Claim | None:
    """Take the oldest due pending row: count the attempt and lease it past the timeout.

    A row waits while an older message of the same alert and route is still pending, so a
    receiver never hears ``resolved`` before the ``firing`` it ends.
    """
    older = aliased(OutboxRow)
    earlier_pending = (
        select(older.id)
        .where(
            older.alert_id == OutboxRow.alert_id,
            older.route == OutboxRow.route,
            older.state == "pending",
            older.id < OutboxRow.id,
        )
        .exists()
    )
    query = (
        select(OutboxRow)
        .where(
            OutboxRow.state == "pending",
            OutboxRow.next_attempt_at <= now,
            OutboxRow.route.in_(list(routes)),
            ~earlier_pending,
        )
        .order_by(OutboxRow.id)
        .limit(1)
        .with_for_update(skip_locked=True, of=OutboxRow)
    )
    with store.session() as session:
        row = session.scalars(query).first()
        if row is None:
            return None
        row.attempts += 1
        row.next_attempt_at = now + LEASE + timedelta(seconds=routes[row.route].timeout_s)
        return Claim(row.id, row.key, row.route, dict(row.payload), row.attempts)


def _deliver(
    store: Store, claimed: Claim, route: Route, now: datetime, policy: Backoff, stats: DeliveryStats
) -> None:
    try:
        send(route, claimed.payload)
    except NotificationError as exc:
        dead = claimed.attempts >= route.max_attempts
        retry_at = now + policy.delay(claimed.attempts)
        _record(store, claimed.id, "dead" if dead else "pending", retry_at, str(exc))
        stats.errors.append(f"{claimed.key}: {exc}")
        if dead:
            stats.dead += 1
        else:
            stats.failed += 1
        return
    _record(store, claimed.id, "sent", now, None, sent_at=now)
    stats.sent += 1


def _record(
    store: Store,
    row_id: int,
    state: str,
    next_attempt_at: datetime,
    error: str | None,
    sent_at: datetime | None = None,
) -> None:
    """Write the attempt's outcome, only onto a row still pending (never un-send a row)."""
    values: dict[str, Any] = {"state": state, "next_attempt_at": next_attempt_at}
    values["last_error"] = error
    if sent_at is not None:
        values["sent_at"] = sent_at
    statement = (
        update(OutboxRow)
        .where(OutboxRow.id == row_id, OutboxRow.state == "pending")
        .values(**values)
    )
    with store.session() as session:
        session.execute(statement)
