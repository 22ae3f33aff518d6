"""scikit-learn estimators and pipelines saved with skops, behind a type allow-list.

skops refuses, on load, any type it was not told to trust. Steward trusts what skops
trusts by default, types from scikit-learn, NumPy, SciPy and the builtins/collections
modules (minus builtins that run code or touch files), and the names listed in the
``STEWARD_SKOPS_TRUSTED`` environment variable (comma-separated, for custom
transformers). Any other type refuses the load with :class:`UntrustedArtifact` naming
it, unless an admin trusted the version.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from steward._exceptions import UntrustedArtifact
from steward.registry.formats._base import (
    FORMATS,
    UNKNOWN_TASK,
    ArtifactFormat,
    LoadedModel,
    library_errors,
    require,
)
from steward.registry.formats._estimator import estimator_facts, wrap_estimator

NAME = "skops"
TRUSTED_ENV = "STEWARD_SKOPS_TRUSTED"
ALLOWED_PREFIXES = ("sklearn.", "numpy.", "scipy.", "builtins.", "collections.")
# Builtins that would run code or reach the file system if a FunctionTransformer called them.
_CODE_BUILTINS = (
    "eval exec compile open __import__ getattr setattr delattr input breakpoint globals locals"
    " vars exit quit help"
)
DENIED_BUILTINS = frozenset(f"builtins.{name}" for name in _CODE_BUILTINS.split(" "))


def untrusted_types(path: Path) -> list[str]:
    """The types in ``path`` that skops does not trust by default, sorted."""
    sio = require("skops.io", "skops", NAME)
    with library_errors(NAME):
        return sorted(sio.get_untrusted_types(file=path))


def refused_types(types: list[str]) -> list[str]:
    """Those of ``types`` the allow-list does not cover."""
    extra = {name.strip() for name in os.environ.get(TRUSTED_ENV, "").split(",")}
    return [name for name in types if not _allowed(name, extra)]


def _allowed(name: str, extra: set[str]) -> bool:
    if name in extra:
        return True
    return name.startswith(ALLOWED_PREFIXES) and name not in DENIED_BUILTINS


def _checked_types(path: Path, trusted: bool) -> list[str]:
    types = untrusted_types(path)
    refused = refused_types(types)
    if refused and not trusted:
        raise UntrustedArtifact(
            f"the skops file contains types outside the allow-list: {refused}; an admin "
            f"can trust this version, or list the names in {TRUSTED_ENV}"
        )
    return types


def _deserialise(path: Path, trusted_types: list[str]) -> Any:
    sio = require("skops.io", "skops", NAME)
    with library_errors(NAME):
        return sio.load(path, trusted=trusted_types)


def load(path: Path, features: list[str], *, trusted: bool = False) -> LoadedModel:
    """Load a skops file; types beyond the allow-list need ``trusted``."""
    estimator = _deserialise(path, _checked_types(path, trusted))
    return wrap_estimator(estimator, NAME, features)


def inspect(path: Path) -> dict[str, Any]:
    """Task and classes; a file with non-allow-listed types is not opened (task unknown)."""
    types = untrusted_types(path)
    if refused_types(types):
        return dict(UNKNOWN_TASK)
    return estimator_facts(_deserialise(path, types))


FORMATS.register(NAME, ArtifactFormat(NAME, (".skops",), False, load, inspect))
