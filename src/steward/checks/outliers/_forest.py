"""An isolation forest as plain arrays: grown by scikit-learn, saved without pickle.

scikit-learn grows the trees; this module keeps only what scoring needs — per node the
children, the split feature and threshold, and the expected path length of a row that ends
there (its depth plus ``c(n)`` for the ``n`` training rows left in a leaf) — and scores with
scikit-learn's compiled ``Tree.apply`` on trees rebuilt from those arrays. Saved arrays are
checked before they reach compiled code: a child index out of range or a cycle would make
``apply`` read arbitrary memory, which is why no tree is rebuilt from unchecked input.

Scoring runs in row chunks on a few threads (``apply`` releases the GIL); each row sums its
trees in a fixed order, so the scores do not depend on the number of threads.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.tree._tree import Tree

from steward._exceptions import InputError
from steward.profile._codec import decode_array, encode_array

CHUNK_ROWS = 1 << 16
MAX_THREADS = 4
LEAF = -1


def average_path_length(n: np.ndarray | float) -> np.ndarray:
    """``c(n)``: the mean path length of an unsuccessful search in a BST of ``n`` keys."""
    n = np.asarray(n, dtype=float)
    safe = np.maximum(n, 2.0)
    c = 2.0 * (np.log(safe - 1.0) + np.euler_gamma) - 2.0 * (safe - 1.0) / safe
    return np.where(n <= 1, 0.0, np.where(n == 2, 1.0, c))


@dataclass(frozen=True)
class FlatTree:
    """One isolation tree; ``left``/``right`` are ``LEAF`` at leaves."""

    left: np.ndarray
    right: np.ndarray
    feature: np.ndarray
    threshold: np.ndarray
    path_length: np.ndarray

    @classmethod
    def from_sklearn(cls, tree: Any) -> FlatTree:
        left = np.asarray(tree.children_left, dtype=np.int64)
        right = np.asarray(tree.children_right, dtype=np.int64)
        depth = _depths(left, right)
        lengths = depth + average_path_length(np.asarray(tree.n_node_samples))
        feature = np.where(left == LEAF, -2, tree.feature).astype(np.int64)
        return cls(left, right, feature, np.asarray(tree.threshold, float), lengths)

    def compiled(self, n_features: int) -> Tree:
        """A scikit-learn ``Tree`` with these nodes (for its compiled ``apply``)."""
        template = Tree(n_features, np.array([1], dtype=np.intp), 1)
        nodes = np.zeros(len(self.left), dtype=template.__getstate__()["nodes"].dtype)
        nodes["left_child"], nodes["right_child"] = self.left, self.right
        nodes["feature"], nodes["threshold"] = self.feature, self.threshold
        nodes["n_node_samples"] = nodes["weighted_n_node_samples"] = 1
        state = {"max_depth": int(_depths(self.left, self.right).max()), "nodes": nodes}
        template.__setstate__(
            {**state, "node_count": len(nodes), "values": np.zeros((len(nodes), 1, 1))}
        )
        return template

    def to_dict(self) -> dict[str, Any]:
        return {k: encode_array(v) for k, v in vars(self).items()}

    @classmethod
    def from_dict(cls, data: dict[str, Any], n_features: int) -> FlatTree:
        tree = cls(**{k: decode_array(data[k]) for k in _FIELDS})
        tree.validate(n_features)
        return tree

    def validate(self, n_features: int) -> None:
        """Raise :class:`InputError` unless this is a well-formed binary tree."""
        count = len(self.left)
        sizes = {len(getattr(self, k)) for k in _FIELDS}
        if count == 0 or sizes != {count}:
            raise InputError("saved isolation tree: node arrays are empty or of unequal length")
        leaf = self.left == LEAF
        index = np.arange(count)
        inner_ok = (self.left > index) & (self.right > index) & (self.right < count)
        inner_ok &= (self.left < count) & (self.feature >= 0) & (self.feature < n_features)
        if not np.all(leaf | inner_ok) or np.any(leaf & (self.right != LEAF)):
            raise InputError("saved isolation tree: a child or feature index is out of range")
        _require_single_parents(self.left[~leaf], self.right[~leaf], count)


_FIELDS = ("left", "right", "feature", "threshold", "path_length")


def _require_single_parents(left: np.ndarray, right: np.ndarray, count: int) -> None:
    children = np.concatenate([left, right])
    if len(children) != count - 1 or len(np.unique(children)) != len(children):
        raise InputError("saved isolation tree: nodes do not form a tree")


def _depths(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Depth of every node (root 0); children always follow their parent."""
    depth = np.zeros(len(left))
    for node in range(len(left)):
        if left[node] != LEAF:
            depth[left[node]] = depth[right[node]] = depth[node] + 1
    return depth


@dataclass
class Forest:
    """Flat trees, the feature count they split on, and the subsample size ``c`` uses."""

    trees: list[FlatTree]
    n_features: int
    max_samples: int

    def __post_init__(self) -> None:
        self._compiled = [t.compiled(self.n_features) for t in self.trees]

    @classmethod
    def from_sklearn(cls, model: Any) -> Forest:
        trees = [FlatTree.from_sklearn(e.tree_) for e in model.estimators_]
        return cls(trees, int(model.n_features_in_), int(model.max_samples_))

    def score(self, matrix: np.ndarray) -> np.ndarray:
        """The isolation score ``2^(-E[h(x)] / c(max_samples))``, in (0, 1]; higher is rarer."""
        matrix = np.ascontiguousarray(matrix, dtype=np.float32)
        if matrix.ndim != 2 or matrix.shape[1] != self.n_features:
            raise InputError(f"the forest splits {self.n_features} features, got {matrix.shape}")
        starts = range(0, len(matrix), CHUNK_ROWS)
        chunks = [matrix[s : s + CHUNK_ROWS] for s in starts]
        threads = min(MAX_THREADS, os.cpu_count() or 1, max(len(chunks), 1))
        with ThreadPoolExecutor(threads) as pool:
            depths = list(pool.map(self._path_lengths, chunks))
        mean = np.concatenate(depths) / len(self.trees) if depths else np.zeros(0)
        return np.power(2.0, -mean / float(average_path_length(self.max_samples)))

    def _path_lengths(self, chunk: np.ndarray) -> np.ndarray:
        total = np.zeros(len(chunk))
        for flat, compiled in zip(self.trees, self._compiled, strict=True):
            total += flat.path_length[compiled.apply(chunk)]
        return total

    def to_dict(self) -> dict[str, Any]:
        return {
            "n_features": self.n_features,
            "max_samples": self.max_samples,
            "trees": [t.to_dict() for t in self.trees],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Forest:
        n_features = int(data["n_features"])
        trees = [FlatTree.from_dict(t, n_features) for t in data["trees"]]
        if not trees:
            raise InputError("saved isolation forest has no trees")
        return cls(trees, n_features, int(data["max_samples"]))
