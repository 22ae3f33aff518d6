"""Backup and verified restore: identical state after a wipe, damage always refused.

Every test runs on a SQLite file and on PostgreSQL (the ``store`` fixture); restores go
into the same kind of store and into the other kind, which is how users migrate.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import secrets
import tarfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import skops.io as sio
from sklearn.linear_model import LogisticRegression
from sqlalchemy import create_engine, select, text

from steward._exceptions import Conflict, IntegrityError, StoreError
from steward.registry import ModelRegistry
from steward.store import Store
from steward.store._archive import GZIP_HEADER, seal
from steward.store._backup_rows import null_flags
from steward.store.backup import backup, restore, verify
from steward.store.tables import PlanRow, PredictionRow, TokenRow, metadata

PG_SERVER = os.environ.get("STEWARD_TEST_PG", "postgresql+psycopg://127.0.0.1:5432/test")


def _data(seed: int = 0, n: int = 200) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"x1": rng.normal(size=n), "x2": rng.normal(size=n)})
    frame["y"] = (frame.x1 + rng.normal(0, 0.5, n) > 0).astype(int)
    return frame


@pytest.fixture
def artifact(tmp_path: Path) -> Path:
    frame = _data()
    path = tmp_path / "model.skops"
    sio.dump(LogisticRegression().fit(frame[["x1", "x2"]], frame.y), path)
    return path


@contextmanager
def _pg_schema() -> Iterator[str]:
    """A fresh PostgreSQL schema (a second one besides the ``store`` fixture's)."""
    schema = f"t_{secrets.token_hex(6)}"
    admin = create_engine(PG_SERVER, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield f"{PG_SERVER}?options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        admin.dispose()


@contextmanager
def _target(kind: str, home: Path) -> Iterator[Store]:
    """An empty store of ``kind`` (sqlite or postgresql) with its own artifact folder."""
    if kind == "sqlite":
        store = Store.open(f"sqlite:///{home / 'steward.db'}", home_dir=home)
        yield store
        store.dispose()
        return
    with _pg_schema() as url:
        store = Store.open(url, home_dir=home)
        yield store
        store.dispose()


def _populate(store: Store, artifact: Path) -> ModelRegistry:
    registry = ModelRegistry(store)
    for seed in range(3):
        registry.register("credit", artifact, reference=_data(seed), target="y", actor="ann")
    registry.register("fraud", artifact, reference=_data(9), target="y", actor="bob")
    registry.promote("credit", 1, actor="ann", reason="first")
    registry.promote("credit", 2, actor="bob", reason="better auc")
    registry.promote("credit", 3, alias="challenger", actor="bob")
    registry.promote("credit", 1, alias="fallback", actor="ops")
    registry.rollback("credit", actor="ops", reason="error rate")
    registry.trust("credit", 3, actor="admin", reason="built in CI")
    with store.session() as session:
        model_id = registry.get("credit", 1).id  # any id works as a foreign key target
        session.add(
            PlanRow(
                model_id=model_id,
                version=1,
                source="model: credit\n",
                body={"model": "credit", "nested": {"x": [1, 2.5, None]}},
                sha256="ab" * 32,
                created_by="ann",
            )
        )
        session.add(TokenRow(prefix="st_1", hash="h", name="ci", scopes=["read"], created_by="a"))
        session.add(
            PredictionRow(
                request_id="r1",
                row_index=0,
                row_id="7",
                model_id=model_id,
                version_id=model_id,
                role="champion",
                inputs={"x1": 0.25, "x2": -1e300},
                output=None,
                latency_ms=1.5,
            )
        )
    return registry


def _raw(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, with SQL NULL told apart from JSON null."""
    dump = {}
    with store.engine.connect() as connection:
        for table in metadata.sorted_tables:
            query = select(*table.columns, *null_flags(table)).order_by(*table.primary_key)
            dump[table.name] = [tuple(row) for row in connection.execute(query)]
    return dump


def _registry_view(store: Store) -> dict[str, Any]:
    registry = ModelRegistry(store)
    return {
        name: {
            "versions": [v.to_dict() for v in registry.versions(name)],
            "aliases": registry.aliases(name),
            "history": [e.to_dict() for e in registry.history(name)],
        }
        for name in registry.models()
    }


def _artifact_bytes(store: Store) -> dict[str, bytes]:
    root = store.artifacts.root
    return {path.name: path.read_bytes() for path in sorted(root.iterdir())}


def _assert_same(source: Store, target: Store) -> None:
    assert _registry_view(target) == _registry_view(source)
    assert _raw(target) == _raw(source)
    assert _artifact_bytes(target) == _artifact_bytes(source)


@pytest.mark.parametrize("into", ["sqlite", "postgresql"])
def test_backup_wipe_restore_is_identical(
    store: Store, artifact: Path, tmp_path: Path, into: str
) -> None:
    _populate(store, artifact)
    manifest = backup(store, tmp_path / "b.tar.gz")
    assert manifest.tables["model_versions"] == 4
    assert manifest.tables["alias_events"] == 5
    assert len(manifest.artifacts) == 8  # a model and its reference rows per version
    assert verify(tmp_path / "b.tar.gz") == manifest
    with _target(into, tmp_path / "restored") as target:
        assert restore(tmp_path / "b.tar.gz", target) == manifest
        _assert_same(store, target)
        history = ModelRegistry(target).history("credit")
        assert [(e.actor, e.reason) for e in history][-1] == ("ops", "error rate")


def test_restored_store_takes_new_writes(store: Store, artifact: Path, tmp_path: Path) -> None:
    _populate(store, artifact)
    backup(store, tmp_path / "b.tar.gz")
    with _pg_schema() as url:
        restore(tmp_path / "b.tar.gz", url, tmp_path / "pg-home")
        target = Store.open(url, home_dir=tmp_path / "pg-home")
        registry = ModelRegistry(target)
        added = registry.register("credit", artifact, reference=_data(5), target="y", actor="z")
        registry.promote("credit", added.version, actor="z", reason="new")
        assert added.version == 4
        assert registry.aliases("credit")["champion"] == [4]
        assert registry.load("credit", "champion").features == ["x1", "x2"]
        target.dispose()


def test_non_empty_target_needs_force(store: Store, artifact: Path, tmp_path: Path) -> None:
    _populate(store, artifact)
    backup(store, tmp_path / "b.tar.gz")
    with _target("sqlite", tmp_path / "other") as target:
        ModelRegistry(target).register("other", artifact, reference=_data(), actor="x")
        before = (_raw(target), _artifact_bytes(target))
        with pytest.raises(Conflict, match=r"not empty.*--force"):
            restore(tmp_path / "b.tar.gz", target)
        assert (_raw(target), _artifact_bytes(target)) == before
        restore(tmp_path / "b.tar.gz", target, force=True)
        _assert_same(store, target)
        assert ModelRegistry(target).models() == ["credit", "fraud"]


def _flip(archive: Path, position: int, out: Path) -> Path:
    data = bytearray(archive.read_bytes())
    data[position] ^= 0x01 if position % 2 else 0xFF
    out.write_bytes(bytes(data))
    return out


def test_any_flipped_byte_is_refused_and_target_untouched(
    store: Store, artifact: Path, tmp_path: Path
) -> None:
    _populate(store, artifact)
    archive = tmp_path / "b.tar.gz"
    backup(store, archive)
    size = archive.stat().st_size
    positions = sorted(
        {*range(0, 12), *range(12, size, max(1, size // 60)), *range(size - 90, size)}
    )
    with _target("sqlite", tmp_path / "target") as target:
        ModelRegistry(target).register("keep", artifact, reference=_data(), actor="x")
        before = (_raw(target), _artifact_bytes(target))
        for position in positions:
            damaged = _flip(archive, position, tmp_path / "damaged.tar.gz")
            with pytest.raises(IntegrityError, match=r"damaged|checksum|not a Steward backup"):
                restore(damaged, target, force=True)
        assert (_raw(target), _artifact_bytes(target)) == before
    assert not (tmp_path / "never").exists()
    with pytest.raises(IntegrityError):
        restore(_flip(archive, size // 2, tmp_path / "d.tar.gz"), None, tmp_path / "never")
    assert not (tmp_path / "never").exists()  # refused before the target was even created


def _repack(archive: Path, out: Path, change: Any) -> Path:
    """Rewrite the archive member by member through ``change`` and seal it like backup does."""
    with tarfile.open(archive, "r:gz") as source:
        members = {m.name: _read(source, m) for m in source.getmembers()}
    members = change(members)
    body = io.BytesIO()
    with tarfile.open(fileobj=body, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    packed_io = io.BytesIO()
    with gzip.GzipFile(filename="", fileobj=packed_io, mode="wb", compresslevel=6, mtime=0) as z:
        z.write(body.getvalue())
    packed = packed_io.getvalue()
    assert packed.startswith(GZIP_HEADER)
    out.write_bytes(packed + seal(hashlib.sha256(packed).hexdigest()))
    return out


def _read(tar: tarfile.TarFile, member: tarfile.TarInfo) -> bytes:
    handle = tar.extractfile(member)
    assert handle is not None
    return handle.read()


def _changed(name: str) -> Any:
    def change(members: dict[str, bytes]) -> dict[str, bytes]:
        data = bytearray(members[name])
        data[len(data) // 2] ^= 0x20
        return {**members, name: bytes(data)}

    return change


def test_a_changed_member_is_named(store: Store, artifact: Path, tmp_path: Path) -> None:
    registry = _populate(store, artifact)
    archive = tmp_path / "b.tar.gz"
    backup(store, archive)
    model_member = f"artifacts/{registry.get('credit', 2).artifact_id}"
    same = _repack(archive, tmp_path / "same.tar.gz", lambda members: members)
    assert verify(same).members == verify(archive).members  # the repacking itself is faithful
    for member in ("tables/model_versions.jsonl", "tables/alias_events.jsonl", model_member):
        damaged = _repack(archive, tmp_path / "x.tar.gz", _changed(member))
        with pytest.raises(IntegrityError, match=f"{member} does not match its checksum"):
            restore(damaged, None, tmp_path / "never")
    extra = _repack(archive, tmp_path / "x.tar.gz", lambda m: {**m, "artifacts/" + "0" * 32: b"x"})
    with pytest.raises(IntegrityError, match="not listed in the manifest"):
        verify(extra)
    missing = _repack(
        archive, tmp_path / "x.tar.gz", lambda m: {k: v for k, v in m.items() if k != model_member}
    )
    with pytest.raises(IntegrityError, match=f"{model_member} is listed in the manifest but"):
        verify(missing)
    assert not (tmp_path / "never").exists()


def test_backup_refuses_a_changed_artifact(store: Store, artifact: Path, tmp_path: Path) -> None:
    registry = _populate(store, artifact)
    path = store.artifacts.path(registry.get("credit", 1).artifact_id)
    path.write_bytes(path.read_bytes() + b"!")
    with pytest.raises(IntegrityError, match="changed since registration"):
        backup(store, tmp_path / "b.tar.gz")
    assert list(tmp_path.glob("*b.tar.gz*")) == []  # no partial archive left behind


def test_backup_while_writing_is_consistent(store: Store, artifact: Path, tmp_path: Path) -> None:
    registry = ModelRegistry(store)
    registry.register("busy", artifact, reference=_data(), target="y", actor="w")
    stop = threading.Event()
    errors: list[BaseException] = []

    def write() -> None:
        try:
            while not stop.is_set():
                added = registry.register("busy", artifact, reference=_data(), actor="w")
                registry.promote("busy", added.version, actor="w", reason="next")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    writer = threading.Thread(target=write)
    writer.start()
    while len(registry.versions("busy")) < 3 and writer.is_alive():
        stop.wait(0.01)  # back up only once the writer is under way
    try:
        archives = []
        for number in range(3):
            archives.append(tmp_path / f"b{number}.tar.gz")
            backup(store, archives[-1])
    finally:
        stop.set()
        writer.join()
    assert not errors
    counts = []
    for number, archive in enumerate(archives):
        with _target("sqlite", tmp_path / f"r{number}") as target:
            restore(archive, target)  # foreign keys and artifact hashes are checked here
            restored = ModelRegistry(target)
            versions = restored.versions("busy")
            assert [v.version for v in versions] == list(range(1, len(versions) + 1))
            for alias, numbers in restored.aliases("busy").items():
                assert set(numbers) <= {v.version for v in versions}, alias
            for version in versions:
                target.artifacts.verify(version.artifact_id, version.sha256)
                assert restored.reference_data("busy", version.version).num_rows == 200
            counts.append(len(versions))
    assert counts == sorted(counts)
    assert 3 <= counts[0] <= counts[-1] <= len(registry.versions("busy"))


def test_a_failed_restore_changes_nothing(artifact: Path, tmp_path: Path) -> None:
    source = Store.open(f"sqlite:///{tmp_path / 'src' / 'steward.db'}", home_dir=tmp_path / "src")
    registry = ModelRegistry(source)
    version = registry.register("credit", artifact, reference=_data(), target="y", actor="a")
    with source.session() as session:  # SQLite takes a JSON infinity; PostgreSQL refuses it
        session.add(
            PredictionRow(
                request_id="r",
                row_index=0,
                row_id="1",
                model_id=1,
                version_id=version.id,
                role="champion",
                inputs={"x1": float("inf")},
                output=1,
                latency_ms=1.0,
            )
        )
    backup(source, tmp_path / "b.tar.gz")
    source.dispose()
    with _target("postgresql", tmp_path / "pg-home") as target:
        with pytest.raises(StoreError, match="restore failed and changed nothing"):
            restore(tmp_path / "b.tar.gz", target)
        assert all(not rows for rows in _raw(target).values())
        assert list(target.artifacts.root.iterdir()) == []
