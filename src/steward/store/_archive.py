"""The archive format of a backup: members, manifest, seal, and the full check on read.

A backup is a gzip-compressed tar whose members are ``tables/<table>.jsonl``,
``artifacts/<id>`` and ``manifest.json`` (the SHA-256 and size of every other member, and
a SHA-256 of itself). After the tar's gzip member comes a *seal*: an empty gzip member
whose comment is the SHA-256 of every byte before it. Reading checks all three layers, so
any changed byte anywhere in the file is refused.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import re
import tarfile
import zlib
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any

from steward._exceptions import InputError, IntegrityError
from steward.store.artifacts import CHUNK

FORMAT = 1
MANIFEST = "manifest.json"
GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"  # no name, mtime 0, level 6
SEAL_HEADER = b"\x1f\x8b\x08\x10\x00\x00\x00\x00\x00\xff"  # a gzip member with a comment
SEAL_TEXT = b"steward-backup-sha256="
EMPTY_DEFLATE = b"\x03\x00\x00\x00\x00\x00\x00\x00\x00\x00"  # no data, CRC 0, length 0
MEMBER = re.compile(r"^(manifest\.json|tables/[a-z0-9_]{1,63}\.jsonl|artifacts/[0-9a-f]{32})$")


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


def add_file(tar: tarfile.TarFile, name: str, handle: IO[bytes], members: dict[str, Any]) -> None:
    """Add an open file as member ``name``, hashing exactly the bytes the tar receives."""
    handle.seek(0, os.SEEK_END)
    size = handle.tell()
    handle.seek(0)
    reader = _HashingReader(handle)
    tar.addfile(_info(name, size), reader)
    members[name] = {"sha256": reader.digest.hexdigest(), "size": size}


def add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    tar.addfile(_info(name, len(data)), _HashingReader(io.BytesIO(data)))


def _info(name: str, size: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = size, 0o600, 0
    return info


def seal(hexdigest: str) -> bytes:
    """An empty gzip member whose comment is the SHA-256 of every byte before it.

    Gzip's own CRC misses some bit flips (in Huffman tables, or in padding bits) that
    leave the decompressed bytes unchanged; the seal catches every changed byte, and
    ``tar xzf`` still reads the archive as usual.
    """
    return SEAL_HEADER + SEAL_TEXT + hexdigest.encode("ascii") + b"\0" + EMPTY_DEFLATE


SEAL_SIZE = len(seal("0" * 64))


class HashingWriter:
    """A write-only file wrapper that hashes what is written through it."""

    def __init__(self, handle: IO[bytes]) -> None:
        self.handle = handle
        self.digest = hashlib.sha256()

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        return self.handle.write(data)

    def flush(self) -> None:
        self.handle.flush()


class _HashingReader:
    """A read-only file wrapper that hashes what is read through it."""

    def __init__(self, handle: IO[bytes]) -> None:
        self.handle = handle
        self.digest = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.handle.read(size)
        self.digest.update(data)
        return data


def read_archive(archive: Path, dest: Path | None) -> Manifest:
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
    _check_seal(archive)
    return manifest


def _check_seal(archive: Path) -> None:
    """The archive's bytes hash to the SHA-256 sealed at its end (see :func:`seal`)."""
    body = archive.stat().st_size - SEAL_SIZE
    digest = hashlib.sha256()
    with archive.open("rb") as raw:
        while body > 0 and (block := raw.read(min(CHUNK, body))):
            digest.update(block)
            body -= len(block)
        found = raw.read()
    if body != 0 or found != seal(digest.hexdigest()):
        raise IntegrityError(
            f"backup archive {archive} is damaged: its bytes no longer match the SHA-256 "
            "sealed at its end; nothing was restored"
        )


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


def _digest(body: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
