"""The ``log`` route: one structured JSON line per notification on ``steward.alerts``.

Always available (a plan may name ``log`` without declaring it) and never fails, so an
alert is at least visible in the service's logs when every other route is down.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from steward.monitor.notify._base import NOTIFIERS
from steward.plan.schema import Route

LOGGER = logging.getLogger("steward.alerts")
_LEVELS = {"info": logging.INFO, "warning": logging.WARNING, "critical": logging.ERROR}


class LogNotifier:
    """Writes the payload as sorted JSON; firing alerts at their severity, resolved at INFO."""

    def send(self, route: Route, payload: dict[str, Any]) -> None:
        level = _LEVELS.get(str(payload.get("severity")), logging.WARNING)
        if payload.get("status") == "resolved":
            level = logging.INFO
        LOGGER.log(level, json.dumps(payload, sort_keys=True, default=str))


NOTIFIERS.register("log", LogNotifier)
