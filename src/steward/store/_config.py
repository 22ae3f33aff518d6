"""Where the store lives: ``STEWARD_DATABASE_URL``, else a SQLite file under ``STEWARD_HOME``.

``STEWARD_HOME`` (default ``./.steward``) also holds the artifact folder, for SQLite and
PostgreSQL alike; service replicas sharing a PostgreSQL store share that folder too.
"""

from __future__ import annotations

import os
from pathlib import Path


def home() -> Path:
    return Path(os.environ.get("STEWARD_HOME") or ".steward")


def database_url(base: Path | None = None) -> str:
    url = os.environ.get("STEWARD_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{(base or home()) / 'steward.db'}"
