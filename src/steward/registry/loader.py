"""The one place model artifacts are deserialised.

Every load goes through :func:`load_model`, in this order: the format must be registered;
a format that runs code on load (pickle, joblib, cloudpickle, MLflow) is refused with
:class:`UntrustedArtifact` unless an admin trusted the version, before any byte is read;
the artifact's SHA-256 is checked; and only then does the format deserialise a private
copy of exactly the bytes that were checked. Artifacts are named by their store id only.

>>> from steward.registry.loader import detect_format
>>> detect_format(Path("model.onnx"))
'onnx'
"""

from __future__ import annotations

import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from steward._exceptions import ArtifactError, IntegrityError, StewardError, UntrustedArtifact
from steward.registry.formats import FORMATS, ArtifactFormat, LoadedModel, Prediction
from steward.registry.formats._base import UNKNOWN_TASK, first_line
from steward.store.artifacts import ArtifactStore

__all__ = [
    "ArtifactRef",
    "LoadedModel",
    "Prediction",
    "detect_format",
    "inspect_artifact",
    "load_model",
]


@dataclass(frozen=True)
class ArtifactRef:
    """What the registry hands the loader: which stored bytes, in which format, trusted or not.

    ``label`` (e.g. ``"credit v3"``) names the version in error messages.
    """

    artifact_id: str
    sha256: str
    format: str
    trusted: bool
    label: str


def load_model(artifacts: ArtifactStore, ref: ArtifactRef, features: list[str]) -> LoadedModel:
    """Deserialise ``ref``'s artifact after the trust and SHA-256 checks.

    Raises :class:`ArtifactError` (unknown or wrong format), :class:`UntrustedArtifact`
    (code-running format, untrusted version) or :class:`IntegrityError` (changed bytes).
    """
    descriptor = _descriptor(ref.format, ref.label)
    if descriptor.runs_code and not ref.trusted:
        raise UntrustedArtifact(
            f"{ref.label}: {ref.format} artifacts run code when loaded; an admin must mark "
            "this version trusted before it can load"
        )
    with _labelled(ref), _verified(artifacts, ref, descriptor) as path:
        return descriptor.load(path, list(features), trusted=ref.trusted)


def detect_format(path: Path) -> str:
    """The format of a file (by suffix) or folder (by its marker file, e.g. ``MLmodel``)."""
    path = Path(path)
    if path.is_dir():
        return _folder_format(path)
    name = path.name.lower()
    matches = [(s, f.name) for f in FORMATS.values() for s in f.suffixes if name.endswith(s)]
    if not matches:
        raise ArtifactError(
            f"cannot tell the model format of {path.name!r} from its name; known suffixes: "
            f"{sorted(s for f in FORMATS.values() for s in f.suffixes)} (or pass the format)"
        )
    return max(matches, key=lambda match: len(match[0]))[1]  # longest suffix wins


def inspect_artifact(path: Path, format: str) -> dict[str, Any]:
    """``{"task", "classes"}`` read from an artifact, without running any code.

    Formats that run code on load are never opened here: their task is ``"unknown"``.
    """
    descriptor = _descriptor(format, Path(path).name)
    if descriptor.inspect is None:
        return dict(UNKNOWN_TASK)
    return descriptor.inspect(Path(path))


def _descriptor(name: str, label: str) -> ArtifactFormat:
    if name not in FORMATS:
        raise ArtifactError(f"{label}: unknown model format {name!r}; known: {sorted(FORMATS)}")
    return FORMATS[name]


def _folder_format(path: Path) -> str:
    for descriptor in FORMATS.values():
        if descriptor.folder_marker and (path / descriptor.folder_marker).is_file():
            return descriptor.name
    markers = sorted(f.folder_marker for f in FORMATS.values() if f.folder_marker)
    raise ArtifactError(f"the folder {path.name!r} is no known model format (looked for {markers})")


@contextmanager
def _verified(artifacts: ArtifactStore, ref: ArtifactRef, fmt: ArtifactFormat) -> Iterator[Path]:
    """A private copy of the artifact whose SHA-256 was just checked (unpacked if a folder)."""
    if fmt.folder_marker:
        with _unpacked(artifacts, ref) as folder:
            yield folder
        return
    data = artifacts.read_verified(ref.artifact_id, ref.sha256)
    with tempfile.TemporaryDirectory(prefix="steward-load-") as tmp:
        copy = Path(tmp) / f"model{fmt.suffixes[0] if fmt.suffixes else ''}"
        copy.write_bytes(data)
        yield copy


@contextmanager
def _unpacked(artifacts: ArtifactStore, ref: ArtifactRef) -> Iterator[Path]:
    with ExitStack() as stack:
        try:
            folder = stack.enter_context(artifacts.unpacked(ref.artifact_id, ref.sha256))
        except zipfile.BadZipFile as exc:
            raise ArtifactError(f"the stored {ref.format} folder is no zip archive") from exc
        yield folder


@contextmanager
def _labelled(ref: ArtifactRef) -> Iterator[None]:
    """Prefix the version's label to load errors; no library exception escapes raw."""
    try:
        yield
    except (ArtifactError, IntegrityError, UntrustedArtifact) as exc:
        raise type(exc)(f"{ref.label}: {exc}") from exc
    except StewardError:
        raise
    except Exception as exc:
        reason = first_line(exc)
        raise ArtifactError(f"{ref.label}: the {ref.format} model did not load: {reason}") from exc
