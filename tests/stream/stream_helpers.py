"""Streams and parameter sets shared by the stream-detector tests."""

from __future__ import annotations

import numpy as np

from steward import stream


def bernoulli(seed: int, n: int = 4000, p0: float = 0.1, p1: float = 0.4, at: int = 2000):
    """A 0/1 error stream whose error rate moves from ``p0`` to ``p1`` at item ``at``."""
    rng = np.random.default_rng(seed)
    return (rng.random(n) < np.where(np.arange(n) < at, p0, p1)).astype(float)


def gaussian(seed: int, n: int = 4000, shift: float = 1.0, at: int = 2000):
    """N(0, 1) values whose mean moves by ``shift`` at item ``at``."""
    rng = np.random.default_rng(seed)
    return rng.standard_normal(n) + np.where(np.arange(n) < at, 0.0, shift)


def falling(seed: int):
    return bernoulli(seed, p0=0.4, p1=0.1)


# Parameter sets per detector: the defaults, and one that fires often (so the equivalence
# tests cross many resets) and reaches the branches the defaults leave alone.
BUSY = {
    "adwin": {"delta": 0.2, "clock": 3, "max_buckets": 2, "min_window_length": 2},
    "cusum": {"k": 0.25, "threshold": 2.0, "warm_start": 12, "two_sided": True},
    "ddm": {"warm_start": 10, "drift_threshold": 2.0},
    "eddm": {"warm_start": 5, "alpha": 0.97, "beta": 0.95},
    "ewma": {"lambda_val": 0.3, "threshold": 1.5, "warm_start": 5, "two_sided": True},
    "hddm_a": {"drift_confidence": 0.1, "warning_confidence": 0.3, "two_sided_test": True},
    "hddm_w": {"drift_confidence": 0.1, "warning_confidence": 0.3, "two_sided_test": True},
    "kswin": {"alpha": 0.1, "window_size": 20, "stat_size": 8, "seed": 7},
    "page_hinkley": {"threshold": 3.0, "min_instances": 5, "alpha": 0.99, "mode": "both"},
}

DEFAULTS = {name: ({"seed": 1} if name == "kswin" else {}) for name in stream.REGISTRY}


def make(name: str, busy: bool = False) -> stream.Detector:
    return stream.create(name, **(BUSY if busy else DEFAULTS)[name])


def item_by_item(detector: stream.Detector, values) -> list[int]:
    hits = []
    for i, value in enumerate(np.asarray(values).tolist()):
        assert detector.update(value) is detector
        if detector.drift_detected:
            hits.append(i)
    return hits


def sample_stream(name: str, seed: int, n: int, shift: float = 0.3):
    """A stream of the detector's input kind with a change in the middle."""
    if stream.get(name).input == "binary":
        return bernoulli(seed, n=n, p0=0.2, p1=0.2 + shift, at=n // 2)
    return gaussian(seed, n=n, shift=3 * shift, at=n // 2)


def alternating(name: str, seed: int, n: int, period: int = 400):
    """A stream whose level switches every ``period`` items (many changes)."""
    high = (np.arange(n) // period) % 2 == 1
    rng = np.random.default_rng(seed)
    if stream.get(name).input == "binary":
        return (rng.random(n) < np.where(high, 0.6, 0.1)).astype(float)
    return rng.standard_normal(n) + np.where(high, 2.0, 0.0)
