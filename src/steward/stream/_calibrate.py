"""Thresholds from a target mean time between false alarms (the in-control ARL).

``calibrate(name, arl0, p0=…)`` returns the value of the detector's threshold parameter
(``Detector.tuning``) whose mean run length on a change-free stream is about ``arl0``
items. Detectors reset after each alarm, so on one long stream the run lengths are
independent and ``items / alarms`` estimates the mean run length; the search bisects on
one stream (common random numbers), so the answer is deterministic under ``seed``. CUSUM
and Page–Hinkley on N(0, 1) streams use Siegmund's approximation instead
(``method="formula"``; ``"auto"`` picks it there). Results are cached per arguments.
"""

from __future__ import annotations

import inspect
import math
from functools import lru_cache
from typing import Any

import numpy as np

from steward._exceptions import InputError
from steward.stream._base import Detector
from steward.stream._registry import get

_STEPS = 22
_FORMULAS = ("cusum", "page_hinkley")


def get_params_names(cls: type[Detector]) -> list[str]:
    return list(inspect.signature(cls.__init__).parameters)[1:]


def mean_run_length(detector: Detector, values: np.ndarray) -> float:
    """Items per detection when ``detector`` reads ``values`` (``inf`` without any)."""
    hits = len(detector.update_many(values))
    return len(values) / hits if hits else math.inf


def null_stream(length: int, p0: float | None, seed: int) -> np.ndarray:
    """A change-free stream: Bernoulli(``p0``) errors, or N(0, 1) when ``p0`` is None."""
    rng = np.random.default_rng(seed)
    if p0 is None:
        return rng.standard_normal(length)
    return (rng.random(length) < p0).astype(np.float64)


def siegmund_arl(k: float, h: float) -> float:
    """Siegmund's approximation of a one-sided CUSUM's ARL on N(0, 1) data (k, h in sd)."""
    b = h + 1.166
    if k == 0:
        return b * b
    return (math.exp(2 * k * b) - 2 * k * b - 1) / (2 * k * k)


def calibrate(
    name: str,
    arl0: float,
    p0: float | None = None,
    seed: int = 0,
    method: str = "auto",
    **params: Any,
) -> float:
    """The threshold parameter value that gives a mean run length of about ``arl0``.

    ``p0`` is the in-control error rate of a 0/1 stream (required for binary detectors);
    without it the null stream is N(0, 1). ``method`` is ``"simulate"``, ``"formula"``
    (CUSUM and Page–Hinkley only) or ``"auto"``.
    """
    info = get(name)
    if not arl0 > 1:
        raise InputError(f"calibrate: arl0 must be > 1, got {arl0}")
    if p0 is not None and not 0 < p0 < 1:
        raise InputError(f"calibrate: p0 must be in (0, 1), got {p0}")
    if p0 is None and info.input == "binary":
        raise InputError(f"calibrate: {name} reads a 0/1 stream; give its error rate p0")
    if method not in ("auto", "simulate", "formula"):
        raise InputError(f"calibrate: unknown method {method!r}")
    if method == "formula" and name not in _FORMULAS:
        raise InputError(f"calibrate: no formula for {name}; use method='simulate'")
    use_formula = method == "formula" or (method == "auto" and name in _FORMULAS and p0 is None)
    if "seed" in get_params_names(info.cls) and params.get("seed") is None:
        params = {**params, "seed": seed}
    key = tuple(sorted(params.items()))
    if use_formula:
        return _by_formula(name, float(arl0), p0, key)
    return _by_simulation(name, float(arl0), p0, seed, key)


@lru_cache(maxsize=256)
def _by_formula(name: str, arl0: float, p0: float | None, key: tuple) -> float:
    detector = get(name).cls(**dict(key))
    sd = 1.0 if p0 is None else math.sqrt(p0 * (1 - p0))
    if name == "cusum":
        k, sides, scale = detector.k, 2 if detector.two_sided else 1, 1.0
    else:
        k, sides, scale = detector.delta / sd, 2 if detector.mode == "both" else 1, sd
    target = arl0 * sides
    lo, hi = 0.0, 1.0
    while siegmund_arl(k, hi) < target:
        lo, hi = hi, hi * 2
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if siegmund_arl(k, mid) < target else (lo, mid)
    return hi * scale


@lru_cache(maxsize=256)
def _by_simulation(name: str, arl0: float, p0: float | None, seed: int, key: tuple) -> float:
    cls = get(name).cls
    tuning = cls.tuning
    params = dict(key)
    values = null_stream(int(min(max(100 * arl0, 50_000), 2_000_000)), p0, seed)

    def arl(value: float) -> float:
        return mean_run_length(cls(**cls.with_threshold(params, value)), values)

    strict, loose = (tuning.high, tuning.low) if tuning.stricter == "higher" else (tuning.low, tuning.high)
    if arl(strict) < arl0:
        raise InputError(f"calibrate: {name} cannot reach a mean run length of {arl0:g} here")
    if arl(loose) >= arl0:
        return loose
    for _ in range(_STEPS):
        mid = math.sqrt(strict * loose) if tuning.log else (strict + loose) / 2
        strict, loose = (mid, loose) if arl(mid) >= arl0 else (strict, mid)
    return float(f"{strict:.6g}")
