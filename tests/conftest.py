"""Settings shared by the whole suite.

Hypothesis runs 50 examples per property without a deadline (profiles use threads, whose
timing varies). ``HYPOTHESIS_PROFILE=ci`` (the default when ``CI`` is set) derandomises the
examples for reproducible CI runs.
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("default", max_examples=50, deadline=None)
settings.register_profile("ci", max_examples=50, deadline=None, derandomize=True, database=None)
_default = "ci" if os.environ.get("CI") else "default"
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", _default))


# --- stores: every store test runs on a SQLite file and on the PostgreSQL server ---------

import secrets  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

PG_SERVER = os.environ.get("STEWARD_TEST_PG", "postgresql+psycopg://127.0.0.1:5432/test")


def _pg_schema_url(schema: str) -> str:
    return f"{PG_SERVER}?options=-csearch_path%3D{schema}"


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh schema, dropped afterwards."""
    from sqlalchemy import create_engine, text

    schema = f"t_{secrets.token_hex(6)}"
    admin = create_engine(PG_SERVER, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield _pg_schema_url(schema)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty store: a SQLite file under ``tmp_path``, or a PostgreSQL schema."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'home' / 'steward.db'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture
def store(store_url: str, tmp_path: Path) -> Iterator[object]:
    """An opened, migrated :class:`steward.store.Store` (SQLite and PostgreSQL)."""
    from steward.store import Store

    opened = Store.open(store_url, home_dir=tmp_path / "home")
    yield opened
    opened.dispose()
