"""Every registered quality check over an edge-case matrix.

Each check must return findings named after it (JSON-ready, deterministic, the same after a
profile save/load round trip) or raise a :class:`StewardError`; never anything else. Each
registered check must also have a case in :data:`TRIGGERS` on which it raises an alarm, so a
new check cannot be registered without a case.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from quality_helpers import profiles

from steward._exceptions import ProfileMismatch, StewardError
from steward.checks.quality import REGISTRY, Comparison, QualityPolicy, parse_expectation
from steward.findings import Finding, Verdict
from steward.profile import Profile, profile
from steward.schema import Column, Kind, Schema, infer_schema

N = 400
EXPECTATIONS = tuple(
    parse_expectation(t)
    for t in (
        "x >= 0",
        "n between 0 and 100",
        "plan in [a, b, c]",
        "unique(customer_id)",
        "missing(plan) <= 5%",
        "mean(x) between 0 and 1",
        "rows >= 10",
        "distinct(plan) >= 2",
    )
)


def base(n: int = N, seed: int = 0) -> pa.Table:
    rng = np.random.default_rng(seed)
    words = np.array(["the quick brown fox", "jumps over the lazy dog", "and runs far away"])
    return pa.table(
        {
            "x": rng.random(n),
            "n": rng.integers(0, 100, n),
            "plan": rng.choice(["a", "b", "c"], n),
            "flag": rng.random(n) < 0.5,
            "customer_id": [f"c{seed}-{i}" for i in range(n)],
            "note": [f"{w} number {i}" for i, w in enumerate(rng.choice(words, n))],
            "ts": pa.array(np.datetime64("2026-01-01T00:00:00", "s") + np.arange(n) * 3600),
            "target": rng.integers(0, 2, n),
        }
    )


SCHEMA = infer_schema(base(), target="target", overrides={"note": {"kind": "text"}})


@dataclass
class Case:
    reference: pa.Table
    current: pa.Table
    schema: Schema = SCHEMA
    own_schema: bool = True
    aligned: bool = True

    def comparison(self) -> Comparison:
        ref, cur = profiles(self.reference, self.current, self.schema)
        if not self.aligned:  # profiled on its own: other bin edges and categories
            cur = profile(self.current, self.schema)
        return self.compare(ref, cur)

    def compare(self, ref: Profile, cur: Profile) -> Comparison:
        own = infer_schema(self.current) if self.own_schema else None
        return Comparison(ref, cur, QualityPolicy(), own, EXPECTATIONS)


def replace(table: pa.Table, name: str, values: pa.Array | list) -> pa.Table:
    return table.set_column(table.schema.get_field_index(name), name, pa.array(values))


def constant() -> pa.Table:
    table = base()
    return pa.table(
        {
            name: pa.array([table.column(name)[0].as_py()] * N, table.column(name).type)
            for name in table.column_names
        }
    )


def all_missing() -> pa.Table:
    table = base()
    return pa.table({name: pa.nulls(N, table.column(name).type) for name in table.column_names})


def non_finite() -> pa.Table:
    x = base().column("x").to_numpy().copy()
    x[:10], x[10:15], x[15:17] = np.nan, np.inf, -np.inf
    return replace(base(), "x", x)


def mixed_types() -> pa.Table:
    """Words among the numbers, a third boolean value, integers arriving as floats."""
    table = base()
    x = [str(v) if i % 7 else "twelve" for i, v in enumerate(table.column("x").to_pylist())]
    flag = (["yes", "no", "maybe"] * N)[:N]
    n = table.column("n").to_numpy().astype(float)
    return replace(replace(replace(table, "x", x), "flag", flag), "n", n)


def unseen() -> pa.Table:
    plans = np.where(np.arange(N) % 4 == 0, "z", base().column("plan").to_numpy())
    return replace(base(), "plan", plans)


def many_categories(seed: int) -> pa.Table:
    rng = np.random.default_rng(seed)
    return replace(base(20_000, seed), "plan", [f"p{k}" for k in rng.integers(0, 10_000, 20_000)])


def duplicates() -> pa.Table:
    table = base()
    return pa.concat_tables([table.slice(0, N - 80), table.slice(0, 80)])


def out_of_range() -> pa.Table:
    return replace(base(), "x", base().column("x").to_numpy() - 0.5)


def schema_drift() -> pa.Table:
    """No ``n``, an extra ``coupon``, and ``plan`` now holds numbers."""
    table = base().drop_columns(["n"]).append_column("coupon", pa.array(["c"] * N))
    return replace(table, "plan", np.arange(N) * 1.5)


CASES: dict[str, Callable[[], Case]] = {
    "same": lambda: Case(base(), base(N, 1)),
    "empty": lambda: Case(base(), base().slice(0, 0)),
    "one_row": lambda: Case(base(), base().slice(0, 1)),
    "all_missing": lambda: Case(base(), all_missing()),
    "constant": lambda: Case(base(), constant()),
    "constant_reference": lambda: Case(constant(), base()),
    "empty_reference": lambda: Case(base().slice(0, 0), base()),
    "unseen_categories": lambda: Case(base(), unseen()),
    "10k_categories": lambda: Case(
        many_categories(0), many_categories(1), infer_schema(many_categories(0), target="target")
    ),
    "nan_inf": lambda: Case(base(), non_finite()),
    "mixed_types": lambda: Case(base(), mixed_types(), own_schema=False),
    "duplicates": lambda: Case(base(), duplicates()),
    "out_of_range": lambda: Case(base(), out_of_range()),
    "schema_drift": lambda: Case(base(), schema_drift()),
    "no_current_schema": lambda: Case(base(), unseen(), own_schema=False),
    "not_profiled_against_reference": lambda: Case(base(), out_of_range(), aligned=False),
}

TRIGGERS = {
    "missing_columns": "schema_drift",
    "extra_columns": "schema_drift",
    "type_change": "schema_drift",
    "unparsed_values": "mixed_types",
    "missing_rate": "all_missing",
    "out_of_range": "out_of_range",
    "unseen_categories": "unseen_categories",
    "constant_column": "constant",
    "duplicate_rows": "duplicates",
    "duplicate_ids": "duplicates",
    "non_finite": "nan_inf",
    "expectation": "out_of_range",
}


@pytest.fixture(scope="module")
def comparisons() -> dict[str, Comparison]:
    return {name: make().comparison() for name, make in CASES.items()}


def outcome(check: str, comparison: Comparison) -> list[Finding] | StewardError:
    try:
        return REGISTRY[check].evaluate(comparison)
    except StewardError as error:
        return error


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("check", sorted(REGISTRY))
def test_every_check_gives_findings_or_a_steward_error(check, case, comparisons):
    comparison = comparisons[case]
    result = outcome(check, comparison)
    if isinstance(result, StewardError):
        assert str(result)
        return
    for found in result:
        assert isinstance(found, Finding) and found.check == f"quality.{check}"
        assert isinstance(found.verdict, Verdict) and found.verdict is not Verdict.UNRELIABLE
        assert found.message and (found.column is None or isinstance(found.column, str))
        json.dumps(found.to_dict(), allow_nan=False)
    assert _same(result, outcome(check, comparison))


@pytest.mark.parametrize("check", sorted(REGISTRY))
def test_findings_survive_a_profile_round_trip(check, comparisons):
    for name in ("same", "nan_inf", "duplicates", "unseen_categories"):
        comparison = comparisons[name]
        ref = Profile.from_bytes(comparison.reference.to_bytes())
        cur = Profile.from_bytes(comparison.current.to_bytes())
        again = CASES[name]().compare(ref, cur)
        assert _same(outcome(check, comparison), outcome(check, again)), name


def test_every_registered_check_has_a_case():
    assert set(TRIGGERS) == set(REGISTRY), "add a triggering case for each new quality check"
    assert set(TRIGGERS.values()) <= set(CASES)


@pytest.mark.parametrize("check", sorted(REGISTRY))
def test_each_check_raises_an_alarm_on_its_case(check, comparisons):
    result = outcome(check, comparisons[TRIGGERS.get(check, "same")])
    assert not isinstance(result, StewardError), result
    assert any(found.failed for found in result), result


def test_profiles_on_other_edges_are_refused_by_name(comparisons):
    result = outcome("out_of_range", comparisons["not_profiled_against_reference"])
    assert isinstance(result, ProfileMismatch) and "'x'" in str(result)


NUMBERS = st.one_of(
    st.none(),
    st.sampled_from([np.nan, np.inf, -np.inf, 0.0]),
    st.floats(-1e9, 1e9),  # moments of values near 1e308 overflow inside the profile
    st.integers(-5, 5).map(float),
)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(NUMBERS, max_size=30),
    st.lists(NUMBERS, max_size=30),
    st.lists(st.one_of(st.none(), st.sampled_from(["a", "b", "c", "d"])), max_size=30),
)
def test_any_small_columns_give_findings_or_a_steward_error(ref_x, cur_x, plans):
    reference = pa.table({"x": pa.array([*ref_x, 1.0]), "plan": _cycle(plans, len(ref_x) + 1)})
    current = pa.table({"x": pa.array(cur_x, pa.float64()), "plan": _cycle(plans, len(cur_x))})
    schema = Schema(
        columns=(Column(name="x", kind=Kind.NUMERIC), Column(name="plan", kind=Kind.CATEGORICAL))
    )
    ref, cur = profiles(reference, current, schema)
    comparison = Comparison(ref, cur, QualityPolicy(), schema, EXPECTATIONS[:1])
    for check in REGISTRY:
        result = outcome(check, comparison)
        if not isinstance(result, StewardError):
            for found in result:
                json.dumps(found.to_dict(), allow_nan=False)


def _cycle(values: list[str | None], n: int) -> pa.Array:
    return pa.array([values[i % len(values)] if values else None for i in range(n)], pa.string())


def test_the_same_data_raises_no_alarm(comparisons):
    for check in REGISTRY:
        result = outcome(check, comparisons["same"])
        assert isinstance(result, list) and not any(f.failed for f in result), result


def _same(a: list[Finding] | StewardError, b: list[Finding] | StewardError) -> bool:
    if isinstance(a, StewardError) or isinstance(b, StewardError):
        return type(a) is type(b) and str(a) == str(b)
    return [f.to_dict() for f in a] == [f.to_dict() for f in b]
