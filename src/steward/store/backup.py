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
every byte of the archive against the manifest before it touches the target, and refuses
a damaged archive by naming the member that does not match.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import os
import re
import shutil
import tarfile
import tempfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy import (
    JSON,
    Connection,
    DateTime,
    Insert,
    LargeBinary,
    Table,
    bindparam,
    create_engine,
    event,
    func,
    select,
    text,
)
from sqlalchemy.pool import NullPool
from sqlalchemy.types import TypeDecorator

from steward._exceptions import Conflict, InputError, IntegrityError
from steward.store._store import Store
from steward.store.artifacts import CHUNK, sha256_file
from steward.store.tables import metadata, utcnow

FORMAT = 1
MANIFEST = "manifest.json"
GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"  # no name, mtime 0, level 6
MEMBER = re.compile(r"^(manifest\.json|tables/[a-z0-9_]{1,63}\.jsonl|artifacts/[0-9a-f]{32})$")
BATCH = 1000


@dataclass(frozen=True)
class Manifest:
    """What an archive holds: row counts per table and the checksum of every member."""

    format: int
    created_at: str
    revision: str | None
    dialect: str
    tables: dict[str, int]
    members: dict[str, dict[str, Any]]  # name -> {"sha256": hex, "size": bytes}

    @property
    def artifacts(self) -> list[str]:
        return sorted(n.split("/", 1)[1] for n in self.members if n.startswith("artifacts/"))

    def to_bytes(self) -> bytes:
        body = asdict(self)
        body["manifest_sha256"] = _digest(body)
        return json.dumps(body, indent=2, sort_keys=True).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> Manifest:
        """Parse a manifest, refusing one whose own checksum does not match its content."""
        try:
            body = json.loads(data)
            claimed = body.pop("manifest_sha256")
            manifest = cls(**body)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise IntegrityError(f"backup manifest is unreadable: {exc}") from exc
        if claimed != _digest(asdict(manifest)) or manifest.format != FORMAT:
            raise IntegrityError("backup manifest.json does not match its own checksum")
        return manifest


# --- backup -------------------------------------------------------------------------------


def backup(store: Store, out: Path) -> Manifest:
    """Write every table and artifact of ``store`` to the archive ``out`` (atomically)."""
    out = Path(out)
    if not out.parent.is_dir():
        raise InputError(f"folder does not exist: {out.parent}")
    handle, partial = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".partial", dir=out.parent)
    try:
        with os.fdopen(handle, "wb") as raw:
            manifest = _write_archive(store, raw)
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
        _add_bytes(tar, MANIFEST, data)
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
        _add_file(tar, f"tables/{table.name}.jsonl", spool, members)
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
        _add_file(tar, name, handle, members)
    if members[name]["sha256"] != sha256:
        raise IntegrityError(
            f"artifact {artifact_id} has changed since registration; "
            "a backup of it would not restore (fix or remove that version first)"
        )


def _add_file(tar: tarfile.TarFile, name: str, handle: IO[bytes], members: dict[str, Any]) -> None:
    """Add an open file as member ``name``, hashing exactly the bytes the tar receives."""
    handle.seek(0, os.SEEK_END)
    size = handle.tell()
    handle.seek(0)
    reader = _HashingReader(handle)
    tar.addfile(_info(name, size), reader)
    members[name] = {"sha256": reader.digest.hexdigest(), "size": size}


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    tar.addfile(_info(name, len(data)), _HashingReader(_bytes_io(data)))


def _info(name: str, size: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = size, 0o600, 0
    return info


def _bytes_io(data: bytes) -> IO[bytes]:
    import io

    return io.BytesIO(data)


class _HashingReader:
    """A read-only file wrapper that hashes what is read through it."""

    def __init__(self, handle: IO[bytes]) -> None:
        self.handle = handle
        self.digest = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.handle.read(size)
        self.digest.update(data)
        return data


# --- verify -------------------------------------------------------------------------------


def verify(archive: Path) -> Manifest:
    """Check every member of ``archive`` against its manifest without restoring anything."""
    return _read_archive(Path(archive), None)


def _read_archive(archive: Path, dest: Path | None) -> Manifest:
    """Read the whole archive (extracting into ``dest`` if given) and check every checksum."""
    if not archive.is_file():
        raise InputError(f"backup archive not found: {archive}")
    with archive.open("rb") as raw:
        if raw.read(len(GZIP_HEADER)) != GZIP_HEADER:
            raise IntegrityError(f"{archive} is not a Steward backup, or its header is damaged")
        raw.seek(0)
        try:
            with gzip.GzipFile(fileobj=raw, mode="rb") as zipped:
                found, manifest_bytes = _read_members(zipped, dest)
                while zipped.read(CHUNK):  # to the end, so gzip checks its CRC and length
                    pass
        except (OSError, EOFError, zlib.error, tarfile.TarError) as exc:
            raise IntegrityError(f"backup archive {archive} is damaged: {exc}") from exc
    if manifest_bytes is None:
        raise IntegrityError(f"backup archive {archive} has no manifest.json")
    manifest = Manifest.from_bytes(manifest_bytes)
    _match(manifest, found)
    return manifest


def _read_members(
    zipped: IO[bytes], dest: Path | None
) -> tuple[dict[str, dict[str, Any]], bytes | None]:
    found: dict[str, dict[str, Any]] = {}
    manifest: bytes | None = None
    with tarfile.open(fileobj=zipped, mode="r|") as tar:
        for info in tar:
            _check_member(info, found)
            source = tar.extractfile(info)
            assert source is not None
            if info.name == MANIFEST:
                manifest = source.read(info.size + 1)
                found[info.name] = {}
                continue
            found[info.name] = _copy_member(source, info.name, dest)
    return found, manifest


def _check_member(info: tarfile.TarInfo, found: dict[str, Any]) -> None:
    if not MEMBER.match(info.name) or not info.isreg():
        raise IntegrityError(f"backup archive has an unexpected member {info.name!r}")
    if info.name in found:
        raise IntegrityError(f"backup archive holds member {info.name!r} twice")


def _copy_member(source: IO[bytes], name: str, dest: Path | None) -> dict[str, Any]:
    digest, size = hashlib.sha256(), 0
    target = None
    if dest is not None:
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        target = (dest / name).open("wb")
    try:
        while block := source.read(CHUNK):
            digest.update(block)
            size += len(block)
            if target is not None:
                target.write(block)
    finally:
        if target is not None:
            target.close()
    return {"sha256": digest.hexdigest(), "size": size}


def _match(manifest: Manifest, found: dict[str, dict[str, Any]]) -> None:
    """Every member present is listed with the same checksum, and nothing listed is missing."""
    present = set(found) - {MANIFEST}
    for name in sorted(present - set(manifest.members)):
        raise IntegrityError(f"backup member {name} is not listed in the manifest")
    for name in sorted(set(manifest.members) - present):
        raise IntegrityError(f"backup member {name} is listed in the manifest but missing")
    for name in sorted(present):
        if found[name] != manifest.members[name]:
            raise IntegrityError(
                f"backup member {name} does not match its checksum in the manifest "
                "(the archive is damaged); nothing was restored"
            )
    for table in manifest.tables:
        if f"tables/{table}.jsonl" not in present:
            raise IntegrityError(f"backup member tables/{table}.jsonl is missing")


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
        manifest = _read_archive(Path(archive), staged)
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
        with store.engine.begin() as connection:
            if force:
                for table in reversed(_tables()):
                    connection.execute(table.delete())
            for table in _tables():
                _load_table(connection, table, staged, manifest)
            if store.dialect == "postgresql":
                _fix_sequences(connection)
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


# --- rows as JSON -------------------------------------------------------------------------
# Datetimes travel as ISO text and bytes as base64; a JSON column keeps SQL NULL (key left
# out) apart from a JSON null (key present, value null), so a restore is exact.

NULL_FLAG = "__is_sql_null"


def null_flags(table: Table) -> list[Any]:
    """Extra select columns telling SQL NULL from JSON null in each JSON column."""
    return [c.is_(None).label(c.key + NULL_FLAG) for c in table.columns if _kind(c) == "json"]


def encode_row(table: Table, row: Any) -> dict[str, Any]:
    encoded: dict[str, Any] = {}
    for column in table.columns:
        kind, value = _kind(column), row[column.key]
        if kind == "json" and row[column.key + NULL_FLAG]:
            continue
        if value is not None and kind == "datetime":
            value = value.isoformat()
        elif value is not None and kind == "bytes":
            value = base64.b64encode(value).decode("ascii")
        encoded[column.name] = value
    return encoded


def decode_row(table: Table, row: dict[str, Any]) -> dict[str, Any]:
    """Insert parameters for one dumped row (see :func:`insert_statement` for JSON keys)."""
    decoded: dict[str, Any] = {}
    for column in table.columns:
        kind, value = _kind(column), row.get(column.name)
        if kind == "json":
            present_null = column.name in row and value is None
            decoded["json_" + column.key] = JSON.NULL if present_null else value
            continue
        if value is not None and kind == "datetime":
            value = datetime.fromisoformat(value)
        elif value is not None and kind == "bytes":
            value = base64.b64decode(value)
        decoded[column.key] = value
    return decoded


def insert_statement(table: Table) -> Insert:
    """An INSERT whose JSON columns bind through a type that writes ``None`` as SQL NULL."""
    json_binds = {
        c.key: bindparam("json_" + c.key, type_=JSON(none_as_null=True))
        for c in table.columns
        if _kind(c) == "json"
    }
    return table.insert().values(json_binds) if json_binds else table.insert()


def _kind(column: Any) -> str:
    kind = column.type
    if isinstance(kind, TypeDecorator):
        kind = kind.impl_instance
    if isinstance(kind, JSON):
        return "json"
    if isinstance(kind, DateTime):
        return "datetime"
    return "bytes" if isinstance(kind, LargeBinary) else "plain"


def _digest(body: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
