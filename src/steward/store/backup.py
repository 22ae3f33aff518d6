"""Backup and verified restore of a whole store: every table and every artifact, one archive.

An archive is a gzip-compressed tar holding::

    tables/<table>.jsonl   every row of every table, one JSON object per line
    artifacts/<id>         every artifact file the ``artifacts`` table names
    manifest.json          format, time, schema revision, row counts, SHA-256 and size
                           of every member (and a SHA-256 of the manifest itself)

The dump is logical and dialect-neutral (datetimes as ISO text, bytes as base64), so an
archive written from SQLite restores into PostgreSQL and back: that is how a store moves.
All tables are read in one transaction (a WAL snapshot on SQLite, ``REPEATABLE READ`` on
PostgreSQL), so a backup taken while the service writes is consistent. Restore checks
every byte of the archive (members against the manifest, the whole file against its seal,
see :mod:`steward.store._archive`) before it touches the target, and refuses a damaged
archive by naming the member that does not match.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Connection, Table, create_engine, event, func, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from steward._exceptions import Conflict, InputError, IntegrityError, StoreError
from steward.store._archive import (
    FORMAT,
    MANIFEST,
    HashingWriter,
    Manifest,
    add_bytes,
    add_file,
    read_archive,
    seal,
)
from steward.store._backup_rows import decode_row, encode_row, insert_statement, null_flags
from steward.store._store import Store
from steward.store.artifacts import sha256_file
from steward.store.tables import metadata, utcnow

__all__ = ["Manifest", "backup", "restore", "verify"]

BATCH = 1000


# --- backup -------------------------------------------------------------------------------


def backup(store: Store, out: Path) -> Manifest:
    """Write every table and artifact of ``store`` to the archive ``out`` (atomically)."""
    out = Path(out)
    if not out.parent.is_dir():
        raise InputError(f"folder does not exist: {out.parent}")
    handle, partial = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".partial", dir=out.parent)
    try:
        with os.fdopen(handle, "wb") as raw:
            sealed = HashingWriter(raw)
            manifest = _write_archive(store, sealed)
            raw.write(seal(sealed.digest.hexdigest()))
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(partial, out)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
    return manifest


def _write_archive(store: Store, raw: IO[bytes]) -> Manifest:
    members: dict[str, dict[str, Any]] = {}
    with (
        gzip.GzipFile(filename="", fileobj=raw, mode="wb", compresslevel=6, mtime=0) as zipped,
        tarfile.open(fileobj=zipped, mode="w|", format=tarfile.PAX_FORMAT) as tar,
    ):
        with _snapshot(store) as connection:
            revision = _revision(connection)
            counts = {t.name: _dump_table(connection, t, tar, members) for t in _tables()}
            artifacts = _artifact_rows(connection)
        for artifact_id, sha256 in artifacts:
            _add_artifact(store, artifact_id, sha256, tar, members)
        manifest = Manifest(
            format=FORMAT,
            created_at=utcnow().isoformat(),
            revision=revision,
            dialect=store.dialect,
            tables=counts,
            members=members,
        )
        data = manifest.to_bytes()
        add_bytes(tar, MANIFEST, data)
    return manifest


@contextmanager
def _snapshot(store: Store) -> Iterator[Connection]:
    """One read transaction over the whole store: every table seen at the same instant."""
    if store.dialect == "sqlite":
        engine = _sqlite_reader(store)
        try:
            with engine.connect() as connection, connection.begin():
                yield connection
        finally:
            engine.dispose()
        return
    options = {"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}
    with store.engine.connect() as connection:
        connection.execution_options(**options)
        with connection.begin():
            yield connection


def _sqlite_reader(store: Store) -> Any:
    """An engine whose transactions start with a plain (deferred) BEGIN: a WAL read snapshot.

    The store's own engine begins with ``BEGIN IMMEDIATE``, which would block every writer
    for the whole backup.
    """
    engine = create_engine(store.engine.url, poolclass=NullPool, connect_args={"timeout": 30})

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _: Any) -> None:
        dbapi_connection.isolation_level = None
        dbapi_connection.execute("PRAGMA busy_timeout=30000")

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN")

    return engine


def _tables() -> list[Table]:
    return list(metadata.sorted_tables)


def _revision(connection: Connection) -> str | None:
    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _dump_table(
    connection: Connection, table: Table, tar: tarfile.TarFile, members: dict[str, Any]
) -> int:
    query = select(*table.columns, *null_flags(table)).order_by(*table.primary_key.columns)
    rows = 0
    with tempfile.TemporaryFile() as spool:
        result = connection.execution_options(yield_per=BATCH).execute(query)
        for row in result.mappings():
            spool.write(json.dumps(encode_row(table, row), separators=(",", ":")).encode())
            spool.write(b"\n")
            rows += 1
        add_file(tar, f"tables/{table.name}.jsonl", spool, members)
    return rows


def _artifact_rows(connection: Connection) -> list[tuple[str, str]]:
    artifacts = metadata.tables["artifacts"]
    query = select(artifacts.c.id, artifacts.c.sha256).order_by(artifacts.c.id)
    return [(row.id, row.sha256) for row in connection.execute(query)]


def _add_artifact(
    store: Store, artifact_id: str, sha256: str, tar: tarfile.TarFile, members: dict[str, Any]
) -> None:
    path = store.artifacts.path(artifact_id)
    if not path.is_file():
        raise IntegrityError(f"artifact {artifact_id} is missing from {store.artifacts.root}")
    name = f"artifacts/{artifact_id}"
    with path.open("rb") as handle:
        add_file(tar, name, handle, members)
    if members[name]["sha256"] != sha256:
        raise IntegrityError(
            f"artifact {artifact_id} has changed since registration; "
            "a backup of it would not restore (fix or remove that version first)"
        )


# --- verify -------------------------------------------------------------------------------


def verify(archive: Path) -> Manifest:
    """Check every member of ``archive`` against its manifest without restoring anything."""
    return read_archive(Path(archive), None)


# --- restore ------------------------------------------------------------------------------


def restore(
    archive: Path,
    store: Store | str | None = None,
    home: Path | None = None,
    *,
    force: bool = False,
) -> Manifest:
    """Restore ``archive`` into ``store`` (a Store, or a URL opened with ``home``).

    Every checksum is verified before the target is opened; a store that already holds
    rows or artifacts is refused unless ``force``, which replaces everything in it.
    """
    with tempfile.TemporaryDirectory(prefix="steward-restore-") as tmp:
        staged = Path(tmp)
        manifest = read_archive(Path(archive), staged)
        _check_artifact_rows(manifest, staged)
        target = store if isinstance(store, Store) else Store.open(store, home_dir=home)
        try:
            _restore_into(target, manifest, staged, force)
        finally:
            if target is not store:
                target.dispose()
    return manifest


def _check_artifact_rows(manifest: Manifest, staged: Path) -> None:
    """Every artifact row has its file in the archive, with the hash the row records."""
    artifacts = metadata.tables["artifacts"]
    for row in _read_rows(staged, artifacts):
        member = manifest.members.get(f"artifacts/{row['id']}")
        if member is None or member["sha256"] != row["sha256"]:
            raise IntegrityError(f"backup lacks an intact copy of artifact {row['id']}")


def _restore_into(store: Store, manifest: Manifest, staged: Path, force: bool) -> None:
    _check_revision(store, manifest)
    if not force:
        _check_empty(store)
    written = _stage_artifacts(store, manifest, staged)
    try:
        _load_tables(store, manifest, staged, force)
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    _swap_artifacts(store, written, force)
    _verify_artifacts(store)


def _check_revision(store: Store, manifest: Manifest) -> None:
    current = store.revision()
    if current != manifest.revision:
        raise Conflict(
            f"backup has store schema revision {manifest.revision}, this store is at {current}; "
            "restore with the Steward version that wrote the backup, then upgrade"
        )


def _check_empty(store: Store) -> None:
    with store.engine.connect() as connection:
        full = [
            t.name
            for t in _tables()
            if connection.execute(select(func.count()).select_from(t)).scalar()
        ]
    root = store.artifacts.root
    if root.is_dir() and any(root.iterdir()):
        full.append("artifact files")
    if full:
        raise Conflict(
            f"the target store is not empty ({', '.join(full)}); restore into an empty store, "
            "or pass --force to replace everything in it"
        )


def _stage_artifacts(store: Store, manifest: Manifest, staged: Path) -> list[Path]:
    root = store.artifacts.root
    root.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    try:
        for artifact_id in manifest.artifacts:
            target = root / f"{artifact_id}.restoring"
            shutil.copyfile(staged / "artifacts" / artifact_id, target)
            written.append(target)
            with target.open("rb") as handle:
                os.fsync(handle.fileno())
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    return written


def _load_tables(store: Store, manifest: Manifest, staged: Path, force: bool) -> None:
    """Every row in one transaction: the target ends either fully restored or unchanged."""
    try:
        with store.engine.begin() as connection:
            if force:
                for table in reversed(_tables()):
                    connection.execute(table.delete())
            for table in _tables():
                _load_table(connection, table, staged, manifest)
            if store.dialect == "postgresql":
                _fix_sequences(connection)
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        raise StoreError(f"restore failed and changed nothing: {reason}") from exc


def _load_table(connection: Connection, table: Table, staged: Path, manifest: Manifest) -> None:
    if table.name not in manifest.tables:
        raise IntegrityError(f"backup has no table {table.name}")
    statement = insert_statement(table)
    batch: list[dict[str, Any]] = []
    count = 0
    for row in _read_rows(staged, table):
        batch.append(decode_row(table, row))
        count += 1
        if len(batch) >= BATCH:
            connection.execute(statement, batch)
            batch = []
    if batch:
        connection.execute(statement, batch)
    if count != manifest.tables[table.name]:
        raise IntegrityError(f"backup table {table.name} has {count} rows, manifest says more")


def _read_rows(staged: Path, table: Table) -> Iterator[dict[str, Any]]:
    path = staged / "tables" / f"{table.name}.jsonl"
    with path.open("rb") as handle:
        for line in handle:
            yield json.loads(line)


def _fix_sequences(connection: Connection) -> None:
    """Move each PostgreSQL id sequence past the restored ids, so new rows do not collide."""
    for table in _tables():
        keys = list(table.primary_key.columns)
        if len(keys) != 1 or keys[0].type.python_type is not int:
            continue
        column = keys[0]
        highest = select(func.coalesce(func.max(column), 0)).scalar_subquery()
        sequence = func.pg_get_serial_sequence(table.name, column.name)
        connection.execute(select(func.setval(sequence, highest + 1, False)))


def _swap_artifacts(store: Store, written: list[Path], force: bool) -> None:
    keep = {path.name.removesuffix(".restoring") for path in written}
    if force:
        for old in store.artifacts.root.iterdir():
            if old.is_file() and old.suffix != ".restoring" and old.name not in keep:
                old.unlink()
    for path in written:
        os.replace(path, path.with_suffix(""))


def _verify_artifacts(store: Store) -> None:
    artifacts = metadata.tables["artifacts"]
    with store.engine.connect() as connection:
        rows = connection.execute(select(artifacts.c.id, artifacts.c.sha256)).all()
    for artifact_id, sha256 in rows:
        if sha256_file(store.artifacts.path(artifact_id)) != sha256:
            raise IntegrityError(f"restored artifact {artifact_id} does not match its SHA-256")
