"""The notifier interface, its registry, and the plain-text wording every route shares.

A notifier is a class with one method, ``send(route, payload)``, registered under the
:class:`~steward.plan.schema.Route` ``type`` it serves. It either delivers the payload or
raises :class:`~steward._exceptions.NotificationError`; retries belong to the outbox.
"""

from __future__ import annotations

from typing import Any, Protocol

from steward._exceptions import NotificationError
from steward._registry import Registry
from steward.plan.schema import Route

__all__ = ["NOTIFIERS", "NotificationError", "Notifier", "describe", "headline", "send"]


class Notifier(Protocol):
    def send(self, route: Route, payload: dict[str, Any]) -> None: ...


NOTIFIERS: Registry[type[Notifier]] = Registry("notifier")


def send(route: Route, payload: dict[str, Any]) -> None:
    """Deliver ``payload`` over ``route`` with the notifier registered for its type."""
    NOTIFIERS.lookup(route.type)().send(route, payload)


def headline(payload: dict[str, Any]) -> str:
    """``FIRING credit sustained-drift`` — status, model and rule."""
    return f"{str(payload.get('status', '')).upper()} {payload.get('model')} {payload.get('rule')}"


def describe(payload: dict[str, Any]) -> list[str]:
    """The alert as short plain-text lines: summary, group, times, evidence, id."""
    lines = [str(payload.get("summary") or headline(payload))]
    lines.append(f"severity: {payload.get('severity')}")
    group = payload.get("group") or {}
    lines.append("group: " + ", ".join(f"{k}={v}" for k, v in group.items()))
    lines.append(f"fired at: {payload.get('fired_at')}")
    if payload.get("resolved_at"):
        lines.append(f"resolved at: {payload['resolved_at']}")
    lines.extend(_evidence_lines(payload.get("evidence") or {}))
    lines.append(f"alert: {payload.get('alert_id')} · notification id: {payload.get('id')}")
    return lines


def _evidence_lines(evidence: dict[str, Any]) -> list[str]:
    found = evidence.get("findings") or []
    lines = [f"evidence ({len(found)} finding(s)):"] if found else []
    for item in found:
        where = f" on {item['column']}" if item.get("column") else ""
        lines.append(f"  - {item.get('check')}{where}: {item.get('verdict')}" + _stat(item))
    if evidence.get("more"):
        lines.append(f"  … and {evidence['more']} more")
    return lines


def _stat(item: dict[str, Any]) -> str:
    value = item.get("statistic")
    return f" (statistic {value:.4g})" if isinstance(value, (int, float)) else ""
