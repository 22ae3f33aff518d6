"""Enumerate conjunctions of conditions on different features, with their error sums.

For a group of features ``(f, g)`` every row's combined cell is ``code_f * cells_g +
code_g``; one ``bincount`` per sum gives a ``cells_f × cells_g`` table, and contracting each
axis with that feature's condition matrix gives the sums of every ``condition_f ∧
condition_g`` slice at once. Groups of three features work the same way.

Slices with fewer than ``min_rows`` rows inside or outside, or more than ``max_share`` of
the rows (a "worse" majority is a better minority), are not tested, nor are slices with
exactly the rows of one of their parents (the extra condition changes nothing).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np

from steward.checks.segments._conditions import Feature
from steward.checks.segments._stats import Sums


@dataclass(frozen=True)
class Slices:
    """Flat arrays over every tested slice; ``-1`` pads the conditions of shorter slices.

    ``parents`` holds, per slice and per position, the sums of the slice without that
    position's condition (for one-condition slices: the whole data).
    """

    features: np.ndarray
    conditions: np.ndarray
    order: np.ndarray
    sums: Sums
    parents: Sums

    def __len__(self) -> int:
        return len(self.order)

    def members(self, i: int) -> list[tuple[int, int]]:
        """The (feature, condition) pairs of slice ``i``."""
        k = int(self.order[i])
        return list(
            zip(self.features[i, :k].tolist(), self.conditions[i, :k].tolist(), strict=True)
        )


@dataclass
class _Block:
    features: list[np.ndarray]
    conditions: list[np.ndarray]
    sums: list[np.ndarray]
    parents: list[np.ndarray]


def enumerate_slices(
    features: list[Feature],
    errors: np.ndarray,
    max_conditions: int,
    min_rows: int,
    max_share: float = 0.5,
) -> Slices:
    """Every slice of up to ``max_conditions`` conditions with enough rows on both sides."""
    zero_one = bool(np.all((errors == 0) | (errors == 1)))
    weights = [np.ones_like(errors), errors, errors if zero_one else errors * errors]
    total = np.array([w.sum() for w in weights])
    width = max(1, max_conditions)
    block = _Block([], [], [], [])
    previous: dict[tuple[int, ...], np.ndarray] = {(): total}
    for order in range(1, width + 1):
        current: dict[tuple[int, ...], np.ndarray] = {}
        for group in combinations(range(len(features)), order):
            table = _group_sums(group, features, weights)
            current[group] = table
            _collect(block, group, table, previous, total, (min_rows, max_share), width)
        previous = current
    return _flatten(block, width)


def _group_sums(
    group: tuple[int, ...], features: list[Feature], weights: list[np.ndarray]
) -> np.ndarray:
    """Sums ``(3, conditions_1, …, conditions_k)`` of every conjunction in the group."""
    shape = tuple(features[f].cells for f in group)
    combined = np.zeros(len(weights[0]), dtype=np.int64)
    for f in group:
        combined = combined * features[f].cells + features[f].codes
    size = int(np.prod(shape))
    counts = [np.bincount(combined, weights=w, minlength=size) for w in _distinct(weights)]
    cells = np.stack(counts if len(counts) == 3 else [*counts, counts[1]])
    table = cells.reshape((3, *shape))
    for f in group:
        table = np.tensordot(table, features[f].weights, axes=([1], [0]))
    return table


def _distinct(weights: list[np.ndarray]) -> list[np.ndarray]:
    """Rows, errors and squared errors; for 0/1 errors the squares are the errors."""
    return weights[:2] if weights[2] is weights[1] else weights


def _parent_tables(
    group: tuple[int, ...], table: np.ndarray, previous: dict[tuple[int, ...], np.ndarray]
) -> list[np.ndarray]:
    """For each position, the group's sums without that condition, broadcast to the table."""
    parents = []
    for position in range(len(group)):
        rest = group[:position] + group[position + 1 :]
        if rest:
            expanded = np.expand_dims(previous[rest], axis=position + 1)
        else:
            expanded = previous[rest].reshape((3,) + (1,) * len(group))
        parents.append(np.broadcast_to(expanded, table.shape))
    return parents


def _collect(
    block: _Block,
    group: tuple[int, ...],
    table: np.ndarray,
    previous: dict[tuple[int, ...], np.ndarray],
    total: np.ndarray,
    bounds: tuple[int, float],
    width: int,
) -> None:
    parents = [p.reshape(3, -1) for p in _parent_tables(group, table, previous)]
    flat = table.reshape(3, -1)
    rows = flat[0]
    min_rows, max_share = bounds
    keep = (rows >= min_rows) & (total[0] - rows >= min_rows) & (rows <= max_share * total[0])
    for parent in parents:
        keep &= rows < parent[0] - 0.5
    index = np.flatnonzero(keep)
    if len(index) == 0:
        return
    conditions = np.stack(np.unravel_index(index, table.shape[1:]), axis=1)
    block.conditions.append(_pad(conditions, width))
    block.features.append(_pad(np.tile(np.array(group), (len(index), 1)), width))
    block.sums.append(flat[:, index])
    stacked = np.stack([p[:, index] for p in parents], axis=2)
    padding = np.full((3, len(index), width - len(group)), np.nan)
    block.parents.append(np.concatenate([stacked, padding], axis=2))


def _pad(values: np.ndarray, width: int) -> np.ndarray:
    padding = np.full((len(values), width - values.shape[1]), -1, dtype=np.int64)
    return np.concatenate([values.astype(np.int64), padding], axis=1)


def _flatten(block: _Block, width: int) -> Slices:
    if not block.sums:
        empty = np.zeros(0)
        return Slices(
            np.zeros((0, width), np.int64),
            np.zeros((0, width), np.int64),
            np.zeros(0, np.int64),
            Sums(empty, empty, empty),
            Sums(*(np.zeros((0, width)),) * 3),
        )
    features = np.concatenate(block.features)
    sums = np.concatenate(block.sums, axis=1)
    parents = np.concatenate(block.parents, axis=1)
    return Slices(
        features,
        np.concatenate(block.conditions),
        (features >= 0).sum(axis=1),
        Sums(*sums),
        Sums(*parents),
    )
