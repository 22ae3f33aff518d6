"""Serving windows: fixed periods aligned to the Unix epoch, and their stored profiles.

Every logged prediction falls in exactly one window ``[start, end)`` of the plan's
``monitor.window`` length; the service merges each committed batch's profile into the
window's row, so the monitor reads one profile per window and never rescans rows.

>>> from datetime import datetime, timezone
>>> window_bounds(datetime(2026, 3, 4, 15, 30, tzinfo=timezone.utc), "1D")[0].isoformat()
'2026-03-04T00:00:00+00:00'
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from steward._exceptions import InputError
from steward.store.tables import WindowRow, utcnow

_PERIOD = re.compile(r"^(\d+)(s|m|h|D|W)$")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "D": 86400, "W": 7 * 86400}
EPOCH = datetime(1970, 1, 5, tzinfo=timezone.utc)  # a Monday, so weeks start on Mondays


def period_seconds(period: str) -> int:
    """``"15m"`` → 900; the plan schema's period syntax (``"0s"`` is zero, e.g. no lateness)."""
    match = _PERIOD.match(period)
    if not match:
        raise InputError(f"{period!r} is not a period such as 30m, 1h, 1D or 1W")
    return int(match.group(1)) * _SECONDS[match.group(2)]


def window_bounds(at: datetime, period: str) -> tuple[datetime, datetime]:
    """The ``[start, end)`` window of length ``period`` that holds ``at``."""
    length = period_seconds(period)
    if length < 1:
        raise InputError(f"a window needs a positive length, not {period!r}")
    offset = int((at - EPOCH).total_seconds() // length) * length
    start = EPOCH + timedelta(seconds=offset)
    return start, start + timedelta(seconds=length)


def merge_window_profile(
    session: Session,
    *,
    model_id: int,
    version_id: int,
    role: str,
    start: datetime,
    end: datetime,
    rows: int,
    profile_bytes: bytes,
) -> WindowRow:
    """Merge one batch's profile into its window row (created on first use), in ``session``.

    The caller's transaction makes this atomic with the batch's prediction rows. On
    PostgreSQL the row is locked (``FOR UPDATE``) so concurrent writers merge in turn; a
    window that is already closed is re-opened (late traffic is never dropped).
    """
    from steward.profile import Profile

    query = select(WindowRow).where(
        WindowRow.model_id == model_id,
        WindowRow.version_id == version_id,
        WindowRow.role == role,
        WindowRow.start == start,
    )
    row = session.scalar(query.with_for_update())
    if row is None:
        row = _create(session, model_id, version_id, role, start, end)
        row = session.scalar(query.with_for_update()) or row
    if row.profile is None:
        row.profile = profile_bytes
    else:
        merged = Profile.from_bytes(row.profile).merge(Profile.from_bytes(profile_bytes))
        row.profile = merged.to_bytes()
    row.rows += rows
    row.updated_at = utcnow()
    if row.state == "closed":
        row.state = "open"
    return row


def _create(
    session: Session, model_id: int, version_id: int, role: str, start: datetime, end: datetime
) -> WindowRow:
    """Insert the window row; a concurrent insert of the same window wins harmlessly."""
    from sqlalchemy.exc import IntegrityError

    row = WindowRow(
        model_id=model_id, version_id=version_id, role=role, start=start, end=end, rows=0
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return session.scalar(
            select(WindowRow).where(
                WindowRow.model_id == model_id,
                WindowRow.version_id == version_id,
                WindowRow.role == role,
                WindowRow.start == start,
            )
        )
    return row


def bucket_sql(column: Any, period: str, dialect: str) -> Any:
    """SQL for the index of the ``period`` window holding ``column`` (aligned to EPOCH)."""
    from sqlalchemy import BigInteger, Integer, cast, func

    length = period_seconds(period)
    if dialect == "sqlite":
        seconds = cast(func.strftime("%s", column), Integer)
    else:
        seconds = cast(func.floor(func.extract("epoch", column)), BigInteger)
    return (seconds - int(EPOCH.timestamp())) // length


def bucket_start(index: int, period: str) -> datetime:
    return EPOCH + timedelta(seconds=index * period_seconds(period))
