"""Notifiers, one module per route type; importing this package registers all of them.

>>> sorted(NOTIFIERS)
['email', 'log', 'webhook']
"""

import importlib
import pkgutil

from steward.monitor.notify._base import (
    NOTIFIERS,
    NotificationError,
    Notifier,
    describe,
    headline,
    send,
)

for _module in pkgutil.iter_modules(__path__):
    if not _module.name.startswith("_"):
        importlib.import_module(f"{__name__}.{_module.name}")

__all__ = ["NOTIFIERS", "NotificationError", "Notifier", "describe", "headline", "send"]
