"""The monitor: scheduled checks of closed windows, alert rules, notifications and actions.

Alerting lives in :mod:`steward.monitor.rules` (pure rule evaluation and the alert state
machine), :mod:`steward.monitor.alerts` (alert state in the store, silences, the outbox),
:mod:`steward.monitor.outbox` (delivery with retries) and :mod:`steward.monitor.notify`
(one module per route type).
"""

from typing import Any

__all__ = ["run_pass"]


def __getattr__(name: str) -> Any:
    """``run_pass`` (:mod:`steward.monitor.passes`), imported on first use so that the
    service's imports of :mod:`steward.monitor.windowing` stay light."""
    if name == "run_pass":
        from steward.monitor.passes import run_pass

        return run_pass
    raise AttributeError(f"module 'steward.monitor' has no attribute {name!r}")
