"""The ``webhook`` route: an HTTP POST of the alert as JSON, or in Slack's message format.

The JSON body carries ``id``, the outbox key, which is the same on every retry of one alert
state: a receiver that saw an ``id`` before can drop the repeat (delivery is at least once
in the rare crash between sending and recording the send). Redirects are not followed and
any answer outside 2xx is a failure the outbox retries.
"""

from __future__ import annotations

from typing import Any

import httpx

from steward._exceptions import NotificationError
from steward.monitor.notify._base import NOTIFIERS, describe, headline
from steward.plan.schema import Route

_SECTION_LIMIT = 2900  # Slack rejects section texts over 3000 characters
_HEADER_LIMIT = 150


class WebhookNotifier:
    """POSTs ``payload`` (``format: json``) or :func:`slack_message` (``format: slack``)."""

    def send(self, route: Route, payload: dict[str, Any]) -> None:
        body = slack_message(payload) if route.format == "slack" else payload
        try:
            answer = httpx.post(
                str(route.url), json=body, headers=route.headers, timeout=route.timeout_s
            )
        except httpx.HTTPError as exc:
            raise NotificationError(f"webhook {route.name!r}: {type(exc).__name__}") from exc
        if not answer.is_success:
            raise NotificationError(f"webhook {route.name!r} answered {answer.status_code}")


def slack_message(payload: dict[str, Any]) -> dict[str, Any]:
    """A Slack-compatible message: ``text`` (the fallback) and ``blocks``."""
    title = f"[steward] {headline(payload)}"
    details = "\n".join(describe(payload))[:_SECTION_LIMIT]
    return {
        "text": f"{title}: {payload.get('summary') or ''}".rstrip(": "),
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": title[:_HEADER_LIMIT]}},
            {"type": "section", "text": {"type": "mrkdwn", "text": details}},
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": f"id `{payload.get('id')}`"}],
            },
        ],
    }


NOTIFIERS.register("webhook", WebhookNotifier)
