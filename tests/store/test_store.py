from __future__ import annotations

import os
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from steward._exceptions import IntegrityError, StoreError
from steward.store import Store, database_url
from steward.store.tables import ModelRow, metadata


def test_migrations_create_exactly_the_tables(store: Store) -> None:
    with store.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), metadata)
    assert diff == []
    assert store.revision() == "0001"
    assert set(metadata.tables) <= set(store.tables())


def test_opening_twice_is_a_no_op(store: Store, tmp_path: Path) -> None:
    with store.session() as session:
        session.add(ModelRow(name="m", created_by="me"))
    again = Store.open(store.url, home_dir=tmp_path / "home")
    with again.session() as session:
        assert [m.name for m in session.query(ModelRow)] == ["m"]
    again.dispose()


def test_times_come_back_aware_utc(store: Store) -> None:
    local = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=2)))
    with store.session() as session:
        session.add(ModelRow(name="t", created_by="me", created_at=local))
    with store.session() as session:
        row = session.query(ModelRow).one()
    assert row.created_at == local
    assert row.created_at.tzinfo is not None
    assert row.created_at.utcoffset() == timedelta(0)


def test_failed_unit_of_work_rolls_back(store: Store) -> None:
    with store.session() as session:
        session.add(ModelRow(name="a", created_by="me"))
    with pytest.raises(StoreError, match="store operation failed"), store.session() as session:
        session.add(ModelRow(name="a", created_by="me"))
    with store.session() as session:
        assert session.query(ModelRow).count() == 1


def test_sqlite_uses_wal_under_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STEWARD_DATABASE_URL", raising=False)
    monkeypatch.setenv("STEWARD_HOME", str(tmp_path / "h"))
    assert database_url() == f"sqlite:///{tmp_path / 'h' / 'steward.db'}"
    store = Store.open()
    store.dispose()
    with sqlite3.connect(tmp_path / "h" / "steward.db") as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_database_url_wins_over_home(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STEWARD_DATABASE_URL", "postgresql://h/db")
    assert database_url() == "postgresql://h/db"


def test_unreachable_database_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="cannot migrate store"):
        Store.open("postgresql+psycopg://127.0.0.1:1/none", home_dir=tmp_path)


def test_artifacts_are_checked_against_their_hash(store: Store, tmp_path: Path) -> None:
    saved = store.artifacts.put_bytes(b"weights")
    assert store.artifacts.read_verified(saved.id, saved.sha256) == b"weights"
    path = store.artifacts.path(saved.id)
    os.chmod(path, 0o644)
    path.write_bytes(b"weightz")
    with pytest.raises(IntegrityError, match="changed since registration"):
        store.artifacts.read_verified(saved.id, saved.sha256)


def test_artifact_ids_are_never_paths(store: Store) -> None:
    with pytest.raises(Exception, match="not an artifact id"):
        store.artifacts.path("../../etc/passwd")


def test_folders_are_stored_as_one_archive(store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "model"
    (folder / "sub").mkdir(parents=True)
    (folder / "MLmodel").write_text("flavors: {}")
    (folder / "sub" / "w.bin").write_bytes(b"\x00\x01")
    saved = store.artifacts.put_file(folder)
    with store.artifacts.unpacked(saved.id, saved.sha256) as unpacked:
        assert (unpacked / "MLmodel").read_text() == "flavors: {}"
        assert (unpacked / "sub" / "w.bin").read_bytes() == b"\x00\x01"
