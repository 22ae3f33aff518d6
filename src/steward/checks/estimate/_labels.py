"""The classes of a classifier's target: their order, the positive one, their score columns.

Labels are compared as strings (see :func:`._columns.labels`). A binary target's positive
class is the one named, else the single label among ``1``/``true``/``yes``, else the larger
label in sorted order. Binary models give one score column, P(positive); multiclass models
give one per class, named ``score_<label>``, ``proba_<label>`` or exactly the label.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from steward._exceptions import CheckError, InputError

_TRUE = frozenset({"1", "true", "t", "yes", "y"})
_FALSE = frozenset({"0", "false", "f", "no", "n"})
_POSITIVE_NAMES = frozenset({"1", "true", "yes"})
MISSING = -1
UNKNOWN = -2


@dataclass(frozen=True)
class Classes:
    """The target's labels in sorted order and the score column of each class scored."""

    labels: tuple[str, ...]
    positive: int | None
    score_columns: tuple[str, ...]

    @property
    def binary(self) -> bool:
        return self.positive is not None

    @property
    def scored(self) -> tuple[int, ...]:
        """Class indices with a score column, in ``score_columns`` order."""
        return (self.positive,) if self.positive is not None else tuple(range(len(self.labels)))

    def index(self, values: np.ndarray) -> np.ndarray:
        """Class index of each label; ``MISSING`` for ``None``, ``UNKNOWN`` for new labels."""
        lookup = _aliases(self.labels)
        out = np.full(values.size, MISSING, dtype=np.int64)
        present = np.array([v is not None for v in values], dtype=bool)
        distinct, inverse = np.unique(values[present].astype(str), return_inverse=True)
        codes = np.array([_lookup(lookup, v) for v in distinct], dtype=np.int64)
        out[present] = codes[inverse]
        return out


def _lookup(lookup: dict[str, int], value: str) -> int:
    if value in lookup:
        return lookup[value]
    token = value.strip().lower()
    return lookup.get(token, UNKNOWN) if token in _TRUE | _FALSE else UNKNOWN


def find_classes(values: np.ndarray, positive: Any, scores: list[str]) -> Classes:
    """The classes seen in the reference labels ``values`` and their score columns."""
    present = values[np.array([v is not None for v in values], dtype=bool)]
    labels = sort_labels(set(present.tolist()))
    if len(labels) < 2:
        raise CheckError(
            f"the reference target has {len(labels)} class(es) {labels}; a classifier's "
            "performance can only be estimated with at least two"
        )
    if len(labels) == 2:
        pos = pick_positive(labels, positive)
        return Classes(labels, pos, (_binary_score(scores, labels[pos]),))
    return Classes(labels, None, tuple(_class_score(scores, label) for label in labels))


def sort_labels(labels: set[str]) -> tuple[str, ...]:
    """Numeric order when every label is a number, else string order."""
    try:
        return tuple(sorted(labels, key=float))
    except ValueError:
        return tuple(sorted(labels))


def pick_positive(labels: tuple[str, ...], positive: Any) -> int:
    if positive is not None:
        found = _lookup(_aliases(labels), canonical(positive))
        if found == UNKNOWN:
            raise InputError(f"positive class {positive!r} is not a label of the target {labels}")
        return found
    named = [i for i, label in enumerate(labels) if label.strip().lower() in _POSITIVE_NAMES]
    return named[0] if len(named) == 1 else len(labels) - 1


def canonical(value: Any) -> str:
    """A label as the string :func:`._columns.labels` would make of it."""
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _aliases(labels: tuple[str, ...]) -> dict[str, int]:
    """Exact labels, plus every spelling of true/false for a binary boolean-like label."""
    lookup: dict[str, int] = {}
    if len(labels) == 2:
        for i, label in enumerate(labels):
            for tokens in (_TRUE, _FALSE):
                if label.strip().lower() in tokens:
                    lookup.update(dict.fromkeys(tokens, i))
    lookup.update({label: i for i, label in enumerate(labels)})
    return lookup


def _binary_score(scores: list[str], positive: str) -> str:
    if len(scores) == 1:
        return scores[0]
    named = [s for s in scores if s in _score_names(positive)]
    if len(named) != 1:
        raise CheckError(
            f"a binary classifier needs one score column, P({positive!r}); the schema has "
            f"{scores} and none is named score_{positive}, proba_{positive} or {positive}"
        )
    return named[0]


def _class_score(scores: list[str], label: str) -> str:
    named = [s for s in scores if s in _score_names(label)]
    if not named:
        raise CheckError(
            f"a multiclass classifier needs one score column per class; class {label!r} has "
            f"none among the score columns {scores} (expected score_{label}, proba_{label} "
            f"or {label})"
        )
    return named[0]


def _score_names(label: str) -> set[str]:
    return {f"score_{label}", f"proba_{label}", label}
