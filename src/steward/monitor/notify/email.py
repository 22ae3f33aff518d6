"""The ``email`` route: a plain-text message over SMTP.

Subject ``[steward] FIRING|RESOLVED <model> <rule>``; the body lists the summary, group,
times and evidence. The header ``X-Steward-Notification-Id`` carries the outbox key so a
mail filter can drop a repeat. ``smtp_tls`` is ``starttls`` or ``ssl`` for a relay that
wants TLS (certificates are verified, against ``smtp_ca_file`` when given); with
``smtp_user`` the password is read from the environment variable ``smtp_password_env``
when sending, so no secret ever sits in a plan or the store.
"""

from __future__ import annotations

import os
import smtplib
import ssl
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
            with _connect(route) as smtp:
                if route.smtp_user:
                    smtp.login(route.smtp_user, _password(route))
                smtp.send_message(mail)
        except (smtplib.SMTPException, OSError) as exc:
            raise NotificationError(f"email {route.name!r}: {type(exc).__name__}: {exc}") from exc


def _connect(route: Route) -> smtplib.SMTP:
    host, port, timeout = str(route.smtp_host), route.smtp_port, route.timeout_s
    context = ssl.create_default_context(cafile=route.smtp_ca_file)
    if route.smtp_tls == "ssl":
        return smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
    smtp = smtplib.SMTP(host, port, timeout=timeout)
    if route.smtp_tls == "starttls":
        smtp.starttls(context=context)
    return smtp


def _password(route: Route) -> str:
    password = os.environ.get(str(route.smtp_password_env))
    if password is None:
        raise NotificationError(
            f"email {route.name!r}: the environment variable {route.smtp_password_env} "
            "holding the SMTP password is not set"
        )
    return password


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
