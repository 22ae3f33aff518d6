"""Helpers every sub-command shares: who is acting, and which store to use."""

from __future__ import annotations

import getpass
import os

from steward.store import Store


def actor() -> str:
    """Who runs the command, for the audit log: ``STEWARD_ACTOR``, else the login name."""
    return os.environ.get("STEWARD_ACTOR") or getpass.getuser()


def open_store() -> Store:
    """The store named by ``STEWARD_DATABASE_URL`` or under ``STEWARD_HOME`` (migrated)."""
    return Store.open()
