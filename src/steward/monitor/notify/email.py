"""The ``email`` route: a plain-text message over SMTP.

Subject ``[steward] FIRING|RESOLVED <model> <rule>``; the body lists the summary, group,
times and evidence. The header ``X-Steward-Notification-Id`` carries the outbox key so a
mail filter can drop a repeat. The route has no credentials or TLS settings yet: it suits
a local relay.
"""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from typing import Any

from steward._exceptions import NotificationError
from steward.monitor.notify._base import NOTIFIERS, describe, headline
from steward.plan.schema import Route


class EmailNotifier:
    """Sends :func:`message` to ``route.to`` through ``route.smtp_host:route.smtp_port``."""

    def send(self, route: Route, payload: dict[str, Any]) -> None:
        mail = message(route, payload)
        try:
            host, port = str(route.smtp_host), route.smtp_port
            with smtplib.SMTP(host, port, timeout=route.timeout_s) as smtp:
                smtp.send_message(mail)
        except (smtplib.SMTPException, OSError) as exc:
            raise NotificationError(f"email {route.name!r}: {type(exc).__name__}: {exc}") from exc


def message(route: Route, payload: dict[str, Any]) -> EmailMessage:
    """The e-mail for one alert state."""
    mail = EmailMessage()
    mail["Subject"] = f"[steward] {headline(payload)}"
    mail["From"] = str(route.sender)
    mail["To"] = ", ".join(route.to)
    mail["X-Steward-Notification-Id"] = str(payload.get("id"))
    mail.set_content("\n".join(describe(payload)) + "\n")
    return mail


NOTIFIERS.register("email", EmailNotifier)
