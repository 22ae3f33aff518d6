"""Artifact bytes on disk under server-generated ids, each checked against its SHA-256.

No path that comes from a user is ever used to read or write here: files are copied in
under a fresh random id and looked up by that id only.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from steward._exceptions import ArtifactError, IntegrityError

CHUNK = 1 << 20


@dataclass(frozen=True)
class StoredArtifact:
    id: str
    sha256: str
    size: int


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


class ArtifactStore:
    """A folder of immutable artifact files named by random hex ids.

    >>> import tempfile, pathlib
    >>> store = ArtifactStore(pathlib.Path(tempfile.mkdtemp()))
    >>> saved = store.put_bytes(b"model")
    >>> store.read_verified(saved.id, saved.sha256)
    b'model'
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def put_bytes(self, data: bytes) -> StoredArtifact:
        target = self._new_path()
        self._write_atomic(target, data)
        return StoredArtifact(target.name, hashlib.sha256(data).hexdigest(), len(data))

    def put_file(self, source: Path) -> StoredArtifact:
        """Copy a file in; a folder (an MLflow model) is stored as one zip archive."""
        source = Path(source)
        if source.is_dir():
            return self._put_folder(source)
        if not source.is_file():
            raise ArtifactError(f"artifact not found: {source}")
        target = self._new_path()
        partial = target.with_suffix(".partial")
        shutil.copyfile(source, partial)
        _fsync(partial)
        os.replace(partial, target)
        return StoredArtifact(target.name, sha256_file(target), target.stat().st_size)

    def path(self, artifact_id: str) -> Path:
        if not _is_id(artifact_id):
            raise ArtifactError(f"not an artifact id: {artifact_id!r}")
        return self.root / artifact_id

    def verify(self, artifact_id: str, sha256: str) -> Path:
        """The artifact's path, after checking its bytes still hash to ``sha256``."""
        path = self.path(artifact_id)
        if not path.is_file():
            raise IntegrityError(f"artifact {artifact_id} is missing from {self.root}")
        actual = sha256_file(path)
        if actual != sha256:
            raise IntegrityError(
                f"artifact {artifact_id} has changed since registration "
                f"(sha256 {actual[:12]}… instead of {sha256[:12]}…); refusing to load it"
            )
        return path

    def read_verified(self, artifact_id: str, sha256: str) -> bytes:
        data = self.verify(artifact_id, sha256).read_bytes()
        if hashlib.sha256(data).hexdigest() != sha256:  # changed between check and read
            raise IntegrityError(f"artifact {artifact_id} changed while it was read")
        return data

    @contextmanager
    def unpacked(self, artifact_id: str, sha256: str) -> Iterator[Path]:
        """A verified folder artifact unpacked into a temporary directory."""
        archive = self.verify(artifact_id, sha256)
        with tempfile.TemporaryDirectory(prefix="steward-") as tmp:
            with zipfile.ZipFile(archive) as zipped:
                for member in zipped.namelist():
                    if member.startswith("/") or ".." in Path(member).parts:
                        raise IntegrityError(f"artifact {artifact_id} has an unsafe member")
                zipped.extractall(tmp)
            yield Path(tmp)

    def _put_folder(self, folder: Path) -> StoredArtifact:
        target = self._new_path()
        partial = target.with_suffix(".partial")
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as zipped:
            for file in sorted(p for p in folder.rglob("*") if p.is_file()):
                info = zipfile.ZipInfo(file.relative_to(folder).as_posix(), (1980, 1, 1, 0, 0, 0))
                zipped.writestr(info, file.read_bytes(), zipfile.ZIP_DEFLATED)
        _fsync(partial)
        os.replace(partial, target)
        return StoredArtifact(target.name, sha256_file(target), target.stat().st_size)

    def _new_path(self) -> Path:
        self.root.mkdir(parents=True, exist_ok=True)
        return self.root / secrets.token_hex(16)

    def _write_atomic(self, target: Path, data: bytes) -> None:
        partial = target.with_suffix(".partial")
        with partial.open("wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, target)


def _is_id(value: str) -> bool:
    return len(value) == 32 and all(c in "0123456789abcdef" for c in value)


def _fsync(path: Path) -> None:
    with path.open("rb") as handle:
        os.fsync(handle.fileno())
