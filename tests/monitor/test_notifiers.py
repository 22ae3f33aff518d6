"""Every notifier against a real receiver on loopback: HTTP, SMTP, and the log."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from email import message_from_bytes
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from alert_helpers import Receiver, free_port

import steward.monitor.notify
from steward._exceptions import NotificationError
from steward.monitor.notify import NOTIFIERS, send
from steward.monitor.notify.webhook import slack_message
from steward.plan.schema import Route

FIRING = {
    "id": "7:firing:2024-03-02T00:00:00+00:00:ops",
    "status": "firing",
    "model": "credit",
    "rule": "drift",
    "severity": "critical",
    "summary": "drift on model credit: 2 finding(s) on age, income",
    "group": {"model": "credit"},
    "fired_at": "2024-03-02T00:00:00+00:00",
    "resolved_at": None,
    "evidence": {
        "columns": ["age", "income"],
        "findings": [
            {"check": "drift.ks", "column": "age", "verdict": "fail", "statistic": 0.31},
            {"check": "drift.ks", "column": "income", "verdict": "fail", "statistic": 0.2},
        ],
    },
    "alert_id": 7,
}
RESOLVED = {
    **FIRING,
    "id": "7:resolved:2024-03-02T00:00:00+00:00:ops",
    "status": "resolved",
    "resolved_at": "2024-03-05T00:00:00+00:00",
}


class Mailbox:
    """An aiosmtpd handler that keeps every message it is handed."""

    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[int, Mailbox]]:
    box = Mailbox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, box
    finally:
        controller.stop()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver(free_port()).running() as running:
        yield running


def email_route(port: int) -> Route:
    return Route(
        name="mail",
        type="email",
        smtp_host="127.0.0.1",
        smtp_port=port,
        sender="steward@example.org",
        to=["oncall@example.org", "ml@example.org"],
        timeout_s=5,
    )


# --- webhook -------------------------------------------------------------------------------


def test_webhook_posts_the_payload_as_json(receiver):
    route = Route(name="ops", type="webhook", url=receiver.url, headers={"X-Token": "s3cret"})
    send(route, FIRING)
    assert receiver.bodies == [FIRING]
    assert receiver.headers[0]["X-Token"] == "s3cret"


def test_slack_format_has_text_and_blocks(receiver):
    route = Route(name="slack", type="webhook", url=receiver.url, format="slack")
    send(route, RESOLVED)
    (body,) = receiver.bodies
    assert body["text"].startswith("[steward] RESOLVED credit drift")
    assert body["blocks"][0]["text"]["text"] == "[steward] RESOLVED credit drift"
    section = body["blocks"][1]["text"]["text"]
    assert "age" in section and "income" in section and "resolved at" in section
    assert RESOLVED["id"] in body["blocks"][2]["elements"][0]["text"]


def test_slack_texts_stay_within_slack_limits():
    many = {**FIRING, "evidence": {"findings": [FIRING["evidence"]["findings"][0]] * 500}}
    message = slack_message(many)
    assert len(message["blocks"][1]["text"]["text"]) <= 3000
    assert len(message["blocks"][0]["text"]["text"]) <= 150


def test_a_webhook_answering_an_error_raises():
    with Receiver(free_port(), status=503).running() as failing:
        route = Route(name="ops", type="webhook", url=failing.url)
        with pytest.raises(NotificationError, match="answered 503"):
            send(route, FIRING)
        assert len(failing.bodies) == 1


def test_a_webhook_nobody_listens_on_raises():
    route = Route(name="ops", type="webhook", url=f"http://127.0.0.1:{free_port()}/x")
    with pytest.raises(NotificationError, match="ConnectError"):
        send(route, FIRING)


# --- email ---------------------------------------------------------------------------------


def test_email_arrives_with_the_subject_recipients_and_evidence(smtp):
    port, box = smtp
    send(email_route(port), FIRING)
    (envelope,) = box.messages
    assert envelope.rcpt_tos == ["oncall@example.org", "ml@example.org"]
    mail = message_from_bytes(envelope.original_content)
    assert mail["Subject"] == "[steward] FIRING credit drift"
    assert mail["X-Steward-Notification-Id"] == FIRING["id"]
    body = mail.get_payload(decode=True).decode()
    assert "drift.ks on age: fail (statistic 0.31)" in body
    assert "severity: critical" in body


def test_resolved_email_subject(smtp):
    port, box = smtp
    send(email_route(port), RESOLVED)
    mail = message_from_bytes(box.messages[0].original_content)
    assert mail["Subject"] == "[steward] RESOLVED credit drift"


def test_email_to_a_closed_port_raises():
    with pytest.raises(NotificationError, match="email 'mail'"):
        send(email_route(free_port()), FIRING)


# --- log -----------------------------------------------------------------------------------


def test_log_writes_one_json_line_at_the_severity(caplog):
    with caplog.at_level(logging.INFO, logger="steward.alerts"):
        send(Route(name="log", type="log"), FIRING)
        send(Route(name="log", type="log"), RESOLVED)
    firing, resolved = caplog.records
    assert firing.name == "steward.alerts" and firing.levelno == logging.ERROR
    assert json.loads(firing.getMessage()) == FIRING
    assert resolved.levelno == logging.INFO
    assert json.loads(resolved.getMessage())["status"] == "resolved"


# --- conformance: every registered notifier has a case ---------------------------------------


def _webhook_case(payload: dict[str, Any], request: pytest.FixtureRequest) -> Any:
    receiver = request.getfixturevalue("receiver")
    send(Route(name="ops", type="webhook", url=receiver.url), payload)
    return receiver.bodies[-1]["id"]


def _email_case(payload: dict[str, Any], request: pytest.FixtureRequest) -> Any:
    port, box = request.getfixturevalue("smtp")
    send(email_route(port), payload)
    return message_from_bytes(box.messages[-1].original_content)["X-Steward-Notification-Id"]


def _log_case(payload: dict[str, Any], request: pytest.FixtureRequest) -> Any:
    caplog = request.getfixturevalue("caplog")
    with caplog.at_level(logging.INFO, logger="steward.alerts"):
        send(Route(name="log", type="log"), payload)
    return json.loads(caplog.records[-1].getMessage())["id"]


CASES: dict[str, Callable[[dict[str, Any], pytest.FixtureRequest], Any]] = {
    "webhook": _webhook_case,
    "email": _email_case,
    "log": _log_case,
}


def test_every_registered_notifier_has_a_case():
    assert sorted(NOTIFIERS) == sorted(CASES), "add a case for each new notifier"


@pytest.mark.parametrize("kind", sorted(NOTIFIERS))
@pytest.mark.parametrize("payload", [FIRING, RESOLVED], ids=["firing", "resolved"])
def test_notifier_conformance(kind, payload, request):
    assert kind in CASES, f"notifier {kind!r} has no conformance case"
    assert callable(getattr(NOTIFIERS[kind](), "send", None))
    assert CASES[kind](payload, request) == payload["id"]


def test_notify_doctests():
    import doctest

    assert doctest.testmod(steward.monitor.notify).failed == 0


class _Accept:
    """An aiosmtpd authenticator that accepts one user and password."""

    def __call__(self, server: Any, session: Any, envelope: Any, mechanism: Any, auth: Any):
        from aiosmtpd.smtp import AuthResult

        ok = auth.login == b"steward" and auth.password == b"pw-from-env"
        return AuthResult(success=ok)


def _certificate(folder: Any) -> tuple[str, str]:
    import subprocess

    key, cert = folder / "key.pem", folder / "cert.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1"),
            *("-addext", "subjectAltName=IP:127.0.0.1"),
        ],
        check=True,
        capture_output=True,
    )
    return str(key), str(cert)


def test_email_over_starttls_with_login(tmp_path, monkeypatch):
    import ssl

    key, cert = _certificate(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    box, port = Mailbox(), free_port()
    controller = Controller(
        box,
        hostname="127.0.0.1",
        port=port,
        tls_context=context,
        require_starttls=True,
        authenticator=_Accept(),
        auth_require_tls=True,
    )
    controller.start()
    try:
        base = email_route(port).model_dump(by_alias=True)
        route = Route(
            **{
                **base,
                "smtp_tls": "starttls",
                "smtp_ca_file": cert,
                "smtp_user": "steward",
                "smtp_password_env": "STEWARD_TEST_SMTP_PASSWORD",
            }
        )
        monkeypatch.delenv("STEWARD_TEST_SMTP_PASSWORD", raising=False)
        with pytest.raises(NotificationError, match="STEWARD_TEST_SMTP_PASSWORD"):
            send(route, FIRING)
        assert box.messages == []
        monkeypatch.setenv("STEWARD_TEST_SMTP_PASSWORD", "pw-from-env")
        send(route, FIRING)
        assert len(box.messages) == 1
        plain = Route(**{**base, "smtp_user": "steward", "smtp_password_env": "X"})
        with pytest.raises(NotificationError):  # the relay refuses mail before STARTTLS
            send(plain, FIRING)
    finally:
        controller.stop()


def test_smtp_user_needs_a_password_variable():
    with pytest.raises(ValueError, match="smtp_password_env"):
        Route(**{**email_route(25).model_dump(by_alias=True), "smtp_user": "steward"})
