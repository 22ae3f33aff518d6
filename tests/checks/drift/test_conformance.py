"""Every registered drift test over an edge-case matrix.

Each applicable case either returns a TestResult whose fields are finite or None, or raises
a StewardError naming the column; never a raw NumPy/SciPy/Arrow exception. A registered
test for which no case applies fails here, so a new test (or a new column kind) needs a case.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from drift_helpers import pair_of, profiles

from steward._exceptions import StewardError
from steward.checks.drift import REGISTRY, DriftTest, Pair
from steward.checks.drift import TestResult as Result  # not a test class
from steward.io import to_arrow
from steward.profile import Profile, ProfileConfig
from steward.schema import Kind


@dataclass(frozen=True)
class Case:
    name: str
    kind: Kind
    ref: Callable[[], Any]
    cur: Callable[[], Any]
    config: ProfileConfig | None = None

    def profiles(self) -> tuple[Profile, Profile]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # moments of ±1e300 overflow
            return profiles(self.ref(), self.cur(), self.kind, self.config)

    def pair(self) -> Pair:
        return pair_of(*self.profiles())


def normal(n: int, loc: float = 0.0, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(loc, 1.0, n)


def choice(values: str | list[str], n: int, seed: int = 0) -> list[str]:
    return np.random.default_rng(seed).choice(list(values), n).tolist()


def mixed(values: list[Any]) -> pa.Array:
    """A column of mixed Python types, as the input adapter turns it into strings."""
    return to_arrow([{"v": v} for v in values]).column("v").combine_chunks()


def floats(values: list[Any]) -> pa.Array:
    return pa.array(values, type=pa.float64())


def strings(values: list[Any]) -> pa.Array:
    return pa.array(values, type=pa.string())


def booleans(values: list[Any]) -> pa.Array:
    return pa.array(values, type=pa.bool_())


N, C, B, T = Kind.NUMERIC, Kind.CATEGORICAL, Kind.BOOLEAN, Kind.TEXT
TEN_K = [f"cat{i}" for i in range(10_000)]
WORDS = ["the quick brown fox", "jumps over", "the lazy dog", "", "lorem ipsum dolor sit"]
CASES = [
    # numeric
    Case("numeric-normal", N, lambda: normal(800), lambda: normal(500, 0.3, seed=1)),
    Case("numeric-empty-current", N, lambda: normal(200), lambda: floats([])),
    Case("numeric-one-row", N, lambda: normal(200), lambda: floats([0.5])),
    Case("numeric-one-row-each", N, lambda: floats([1.0]), lambda: floats([2.0])),
    Case("numeric-all-missing-current", N, lambda: normal(200), lambda: floats([None] * 40)),
    Case("numeric-all-missing-reference", N, lambda: floats([None] * 40), lambda: normal(200)),
    Case("numeric-constant", N, lambda: floats([3.0] * 100), lambda: floats([3.0] * 60)),
    Case("numeric-constant-shifted", N, lambda: floats([3.0] * 100), lambda: floats([4.0] * 60)),
    Case(
        "numeric-nan-inf",
        N,
        lambda: floats([*normal(300), np.nan, np.inf, -np.inf, None]),
        lambda: floats([np.nan, np.inf, -np.inf, 1.0, 2.0, np.nan]),
    ),
    Case(
        "numeric-only-nan-inf-current",
        N,
        lambda: normal(100),
        lambda: floats([np.nan, np.inf, -np.inf]),
    ),
    Case(
        "numeric-huge-values",
        N,
        lambda: floats([1e300, -1e300, 5e299, 0.0] * 10),
        lambda: floats([1e300, 1e300, -1e300, 1.0] * 10),
    ),
    Case(
        "numeric-mixed-types",
        N,
        lambda: mixed([1, "2.5", "x", None, 4.0] * 20),
        lambda: mixed([2, "abc", 3.5, True, None] * 10),
    ),
    Case("numeric-integers", N, lambda: np.arange(100) % 7, lambda: np.arange(50) % 9),
    Case(
        "numeric-beyond-reservoir",
        N,
        lambda: normal(3_000),
        lambda: normal(3_000, 0.1, 2),
        ProfileConfig(reservoir=300),
    ),
    # categorical
    Case("categorical-normal", C, lambda: choice("abc", 500), lambda: choice("abcd", 300, 1)),
    Case("categorical-empty-current", C, lambda: choice("abc", 50), lambda: strings([])),
    Case("categorical-one-row", C, lambda: choice("abc", 50), lambda: strings(["b"])),
    Case(
        "categorical-all-missing-current",
        C,
        lambda: choice("abc", 50),
        lambda: strings([None] * 30),
    ),
    Case(
        "categorical-all-missing-reference",
        C,
        lambda: strings([None] * 30),
        lambda: choice("abc", 50),
    ),
    Case("categorical-constant", C, lambda: ["a"] * 50, lambda: ["a"] * 20),
    Case("categorical-unseen-only", C, lambda: choice("ab", 50), lambda: choice("xyz", 40)),
    Case("categorical-10k-categories", C, lambda: TEN_K, lambda: TEN_K[5_000:] + TEN_K[:100]),
    Case(
        "categorical-mixed-types",
        C,
        lambda: mixed([1, "a", 2.5, None, True] * 10),
        lambda: mixed(["a", 1, 3.5, None, "zz"] * 10),
    ),
    # boolean
    Case("boolean-normal", B, lambda: [True, False, False] * 50, lambda: [True, False] * 40),
    Case("boolean-empty-current", B, lambda: [True, False] * 20, lambda: booleans([])),
    Case("boolean-one-row", B, lambda: [True, False] * 20, lambda: [True]),
    Case(
        "boolean-all-missing-current", B, lambda: [True, False] * 20, lambda: booleans([None] * 10)
    ),
    Case("boolean-constant", B, lambda: [True] * 30, lambda: [True] * 20),
    Case("boolean-flipped", B, lambda: [True] * 30, lambda: [False] * 20),
    Case(
        "boolean-from-strings",
        B,
        lambda: ["yes", "no", "maybe", None] * 10,
        lambda: ["no", "n", "Y", "2"] * 10,
    ),
    # text (compared by length)
    Case("text-normal", T, lambda: WORDS * 20, lambda: [w.upper() + "!" for w in WORDS] * 10),
    Case("text-empty-current", T, lambda: WORDS * 20, lambda: strings([])),
    Case("text-all-missing-current", T, lambda: WORDS * 20, lambda: strings([None] * 10)),
    Case("text-constant", T, lambda: ["same text"] * 20, lambda: ["same text"] * 5),
]


def applicable(test: DriftTest) -> list[Case]:
    return [case for case in CASES if case.kind in test.kinds]


MATRIX = [
    pytest.param(name, case, id=f"{name}-{case.name}")
    for name in sorted(REGISTRY)
    for case in applicable(REGISTRY[name])
]


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_every_registered_test_has_a_case(name):
    test = REGISTRY[name]
    assert test.kinds, f"{name} accepts no column kind"
    assert applicable(test), f"no conformance case for {name} (kinds {sorted(test.kinds)})"


def _finite_or_none(value: Any) -> bool:
    return value is None or (isinstance(value, (int, float)) and math.isfinite(value))


@pytest.mark.parametrize(("name", "case"), MATRIX)
def test_result_is_finite_or_a_steward_error(name, case):
    test = REGISTRY[name]
    pair = case.pair()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)  # NumPy's NaN/overflow signals
            result = test.run(pair)
    except StewardError as exc:
        assert pair.column in str(exc), f"the message does not name the column: {exc}"
        return
    assert isinstance(result, Result)
    assert result.statistic is not None
    for field in ("statistic", "p_value", "effect_size"):
        assert _finite_or_none(getattr(result, field)), (field, result)
    if result.p_value is not None:
        assert 0.0 <= result.p_value <= 1.0
    if test.is_distance:
        assert result.statistic >= 0.0


@pytest.mark.parametrize(("name", "case"), MATRIX)
def test_same_data_same_seed_same_result(name, case):
    test = REGISTRY[name]
    outcomes = []
    for _ in range(2):
        ref, cur = case.profiles()
        outcomes.append(_outcome(test, pair_of(ref, cur)))
        back = pair_of(Profile.from_bytes(ref.to_bytes()), Profile.from_bytes(cur.to_bytes()))
        outcomes.append(_outcome(test, back))
    assert all(outcome == outcomes[0] for outcome in outcomes)


def _outcome(test: DriftTest, pair: Pair) -> Result | str:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return test.run(pair)
    except StewardError as exc:
        return f"{type(exc).__name__}: {exc}"


def test_sample_tests_depend_on_the_seed_only_through_the_sample():
    ref, cur = normal(3_000), normal(3_000, 0.1, 2)
    runs = {}
    for seed in (0, 0, 1):
        pair = pair_of(*profiles(ref, cur, N, ProfileConfig(reservoir=300, seed=seed)))
        runs.setdefault(seed, []).append(REGISTRY["cramer_von_mises"].run(pair))
    assert runs[0][0] == runs[0][1]
    assert runs[0][0] != runs[1][0]
