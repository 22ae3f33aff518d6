"""Thresholds from a target mean time between false alarms (the in-control ARL).

``calibrate(name, arl0, p0=…)`` returns the value of the detector's threshold parameter
(``Detector.tuning``) whose mean run length on a change-free stream is about ``arl0``
items. Detectors reset after each alarm, so on long streams the run lengths are
independent and ``items / alarms`` estimates the mean run length. The estimate pools 8
streams of ``20 * arl0`` items, which also caps the weight of the very long runs some
detectors (DDM, EDDM) have, and the search bisects on the same streams (common random
numbers), so the answer is deterministic under ``seed``. When even the loosest value
gives fewer alarms than asked (ADWIN, KSWIN at short targets), that value is returned.
Where the run-length distribution jumps (DDM, KSWIN), the value returned is the least
strict one whose mean run length is at least ``arl0``. CUSUM and Page–Hinkley on N(0, 1)
streams use Siegmund's approximation instead (``method="formula"``; ``"auto"`` picks it
there). Results are cached per arguments.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import numpy as np

from steward._exceptions import InputError
from steward.stream._base import Detector
from steward.stream._registry import get

_STEPS = 20
_STREAMS = 8
_BUDGET = 2_400_000  # items per evaluation, at most
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
    params = get(name).cls(**dict(key)).get_params()
    sd = 1.0 if p0 is None else math.sqrt(p0 * (1 - p0))
    if name == "cusum":
        k, sides, scale = params["k"], 2 if params["two_sided"] else 1, 1.0
    else:
        k, sides, scale = params["delta"] / sd, 2 if params["mode"] == "both" else 1, sd
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
    tuning, params = cls.tuning, dict(key)
    length = int(min(max(20 * arl0, 5_000), _BUDGET // _STREAMS))
    streams = [null_stream(length, p0, seed + i) for i in range(_STREAMS)]

    def meets(value: float) -> bool:
        hits = sum(len(cls(**cls.with_threshold(params, value)).update_many(v)) for v in streams)
        return hits == 0 or length * len(streams) / hits >= arl0

    grid = cls.calibration_grid(params)
    if grid is not None:
        return _search_grid(sorted(grid, reverse=tuning.stricter == "lower"), meets, name, arl0)
    strict, loose = (tuning.high, tuning.low)
    if tuning.stricter == "lower":
        strict, loose = loose, strict
    if not meets(strict):
        raise InputError(f"calibrate: {name} cannot reach a mean run length of {arl0:g}")
    if meets(loose):
        return loose
    for _ in range(_STEPS):
        mid = math.sqrt(strict * loose) if tuning.log else (strict + loose) / 2
        strict, loose = (mid, loose) if meets(mid) else (strict, mid)
    return float(f"{strict:.6g}")


def _search_grid(
    values: list[float], meets: Callable[[float], bool], name: str, arl0: float
) -> float:
    """The least strict value of a grid ordered loosest first that still meets the target."""
    if not meets(values[-1]):
        raise InputError(f"calibrate: {name} cannot reach a mean run length of {arl0:g}")
    if meets(values[0]):
        return values[0]
    lo, hi = 1, len(values) - 1  # values[hi] meets the target
    while lo < hi:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if meets(values[mid]) else (mid + 1, hi)
    return values[hi]
