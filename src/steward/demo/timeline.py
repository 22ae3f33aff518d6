"""What happened on each simulated day of the demo, as a list of printable events."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Event:
    day: int
    at: datetime
    kind: str  # traffic | alert | retrain | gate | promote | rollback | recovery | setup
    text: str
    data: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "at": self.at.isoformat()}


def action_events(day: int, at: datetime, actions: list[dict[str, Any]]) -> list[Event]:
    """Events for the actions one monitor pass took (retrain, promote or retire, rollback);
    a gate that keeps waiting for evidence is not an event."""
    events = []
    for action in actions:
        kind = action.get("action", "action")
        text = _describe(kind, action)
        if text:
            events.append(Event(day, at, kind, text, action))
    return events


def _describe(kind: str, action: dict[str, Any]) -> str | None:
    if kind == "retrain":
        if action.get("state") == "done":
            return (
                f"retrained v{action.get('parent')} on {action.get('rows')} recent labelled "
                f"rows → v{action.get('version')} registered as challenger (shadow traffic)"
            )
        if action.get("state") == "failed":
            return f"retraining failed: {action.get('error')}"
        return None
    if kind == "gate":
        return _gate_text(action)
    if kind == "rollback":
        return f"rolled back v{action.get('from_version')} → v{action.get('to_version')}"
    return None


def _gate_text(action: dict[str, Any]) -> str | None:
    decision = action.get("decision")
    version = action.get("challenger_version")
    metrics = action.get("metrics") or {}
    champion, challenger = metrics.get("champion"), metrics.get("challenger")
    if decision == "insufficient":
        return None
    numbers = (
        f"{action.get('metric')} {challenger:.3f} vs {champion:.3f}, "
        f"{action.get('method')} p={action.get('p_value'):.2g}, n={action.get('n')}"
        if None not in (champion, challenger, action.get("p_value"))
        else action.get("reason", "")
    )
    if decision == "promote":
        return f"gate promoted challenger v{version} to champion ({numbers})"
    if decision == "retire":
        return f"gate retired challenger v{version} ({numbers})"
    return None
