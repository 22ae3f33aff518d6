"""How aliases move: the rules for promote, demote and rollback, and their event rows.

``champion`` and ``fallback`` (and any other alias but ``challenger``) point at one version;
``challenger`` at any number. The champion's past is a stack replayed from its events:
a promotion pushes, a rollback pops, so repeated rollbacks walk back through earlier
champions one step at a time.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from sqlalchemy.orm import Session

from steward._exceptions import Conflict, InputError
from steward.store.tables import AliasEventRow, AliasRow

MULTI = frozenset({"challenger"})
ALIAS = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")


def check_alias(alias: str) -> None:
    if not ALIAS.match(alias):
        raise InputError(f"alias {alias!r} must be lowercase letters, digits, '-' or '_'")


def champion_stack(events: Sequence[AliasEventRow]) -> list[int | None]:
    """The champion's history as a stack: the top is the current champion (None: unset)."""
    stack: list[int | None] = []
    for event in events:
        if event.action == "promote":
            stack.append(event.version_id)
        elif event.action == "rollback" and stack:
            stack.pop()
        elif event.action == "demote":
            stack.append(None)
    return stack


def apply_move(
    session: Session,
    *,
    model_id: int,
    action: str,
    alias: str,
    version_id: int | None,
    current: Sequence[AliasRow],
    stack: list[int | None],
    numbers: Mapping[int, int],
    label: str,
    actor: str,
    reason: str,
) -> AliasEventRow:
    """Change the alias rows for one move and add its event; raise Conflict if it can't."""
    move = {"promote": _promote, "demote": _demote, "rollback": _rollback}[action]
    target, previous = move(session, model_id, alias, version_id, current, stack, numbers, label)
    event = AliasEventRow(
        model_id=model_id,
        alias=alias,
        action=action,
        version_id=target,
        previous_version_id=previous,
        actor=actor,
        reason=reason,
    )
    session.add(event)
    session.flush()
    return event


def _promote(session, model_id, alias, version_id, current, stack, numbers, label):
    assert version_id is not None
    if any(row.version_id == version_id for row in current):
        raise Conflict(f"{label} v{numbers[version_id]} is already the {alias}")
    previous = None
    if alias not in MULTI:
        for row in current:
            previous = row.version_id
            session.delete(row)
    session.flush()
    session.add(AliasRow(model_id=model_id, alias=alias, version_id=version_id))
    if alias == "champion":
        _drop_challenger(session, model_id, version_id)
    return version_id, previous


def _demote(session, model_id, alias, version_id, current, stack, numbers, label):
    if version_id is None:
        if len(current) > 1:
            versions = sorted(numbers[row.version_id] for row in current)
            raise Conflict(f"{label} has several {alias} versions {versions}; name one")
        version_id = current[0].version_id if current else None
    row = next((r for r in current if r.version_id == version_id), None)
    if row is None:
        which = f"v{numbers[version_id]}" if version_id is not None else "any version"
        raise Conflict(f"{label} {which} is not the {alias}")
    session.delete(row)
    return version_id, version_id


def _rollback(session, model_id, alias, version_id, current, stack, numbers, label):
    if not current:
        raise Conflict(f"{label} has no champion to roll back from")
    previous = current[0].version_id
    earlier = [v for v in stack[:-1] if v is not None and v != previous]
    if not earlier:
        raise Conflict(f"{label} has no previous champion to roll back to")
    target = earlier[-1]
    for row in current:
        session.delete(row)
    session.flush()
    session.add(AliasRow(model_id=model_id, alias="champion", version_id=target))
    _drop_challenger(session, model_id, target)
    return target, previous


def _drop_challenger(session: Session, model_id: int, version_id: int) -> None:
    for row in session.query(AliasRow).filter_by(
        model_id=model_id, alias="challenger", version_id=version_id
    ):
        session.delete(row)
