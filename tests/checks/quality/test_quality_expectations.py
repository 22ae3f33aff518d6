"""Expectations: parsing, YAML loading with line numbers, evaluation, and errors."""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st
from quality_helpers import one, profiles, verdict

from steward._exceptions import PlanError
from steward.checks.quality import Expectation, check_quality, load_expectations
from steward.checks.quality import parse_expectation as parse
from steward.checks.quality._estimate import count_below
from steward.checks.quality.expectation import evaluate
from steward.findings import Finding
from steward.profile import ProfileConfig, profile
from steward.schema import infer_schema

EXAMPLE = """\
expectations:
  - income >= 0
  - missing(age) <= 1%
  - age between 18 and 100
  - plan in [basic, pro, enterprise]
  - unique(customer_id)
  - mean(income) between 1000 and 9000
  - rows >= 1000
"""


# --- parsing --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "fields"),
    [
        ("income >= 0", dict(measure="value", column="income", op=">=", bounds=(0.0,))),
        ("missing(age) <= 1%", dict(measure="missing", column="age", op="<=", bounds=(0.01,))),
        ("age between 18 and 100", dict(measure="value", op="between", bounds=(18.0, 100.0))),
        ("plan in [basic, pro, enterprise]", dict(op="in", members=("basic", "pro", "enterprise"))),
        ("flag in [true, 1, 2.0]", dict(op="in", members=("true", "1", "2"))),
        ("unique(customer_id)", dict(measure="unique", column="customer_id", op="unique")),
        ("mean(income) between 1000 and 9000", dict(measure="mean", bounds=(1000.0, 9000.0))),
        ("rows >= 1000", dict(measure="rows", column=None, op=">=", bounds=(1000.0,))),
        ("rows_seen != -2.5e3", dict(measure="value", column="rows_seen", bounds=(-2500.0,))),
        ("`monthly income` < inf", dict(column="monthly income", op="<", bounds=(math.inf,))),
        ("  std(x)   >   0.5 ", dict(measure="std", text="std(x) > 0.5")),
    ],
)
def test_expectations_parse_into_their_parts(text, fields):
    parsed = parse(text)
    assert {key: getattr(parsed, key) for key in fields} == fields


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("income", "expected a form such as"),
        ("income >= zero", "cannot read the condition '>= zero'"),
        ("age between 100 and 18", "lower bound 100 is above"),
        ("mean(income) in [1, 2]", "cannot read the condition"),
        ("plan in []", "not a non-empty list"),
        ("plan in [a, b", "cannot read expectation"),
        ("unique(customer_id) >= 3", "expected a form such as"),
        ("average(x) > 1", "expected a form such as"),
    ],
)
def test_bad_expectations_raise_plan_errors_naming_the_text(text, match):
    with pytest.raises(PlanError, match=match) as error:
        parse(text)
    assert repr(text.strip()) in str(error.value) or text in str(error.value)


@given(
    st.sampled_from([">=", ">", "<=", "<", "==", "!="]),
    st.floats(allow_nan=False, allow_infinity=False),
)
def test_any_number_round_trips_through_the_text(op, bound):
    assert parse(f"x {op} {bound!r}").bounds == (bound,)


# --- YAML -----------------------------------------------------------------------------------


def test_the_example_file_loads_with_line_numbers(tmp_path):
    path = tmp_path / "expectations.yaml"
    path.write_text(EXAMPLE)
    loaded = load_expectations(path)
    assert [e.text for e in loaded] == [line.strip()[2:] for line in EXAMPLE.splitlines()[1:]]
    assert [e.line for e in loaded] == list(range(2, 9))


def test_a_bad_line_is_named_by_its_number(tmp_path):
    path = tmp_path / "expectations.yaml"
    path.write_text("expectations:\n  - income >= 0\n\n  - age is old\n")
    with pytest.raises(PlanError, match=r"line 4: cannot read expectation 'age is old'"):
        load_expectations(path)


@pytest.mark.parametrize(
    ("content", "match"),
    [
        ("expectations:\n  - income: 3\n", "line 2 of .*one line of text"),
        ("checks: []\n", "no 'expectations' list"),
        ("expectations: income >= 0\n", "must be a list"),
        ("expectations: [a >= 1\n", "not valid YAML"),
    ],
)
def test_malformed_files_raise_plan_errors(tmp_path, content, match):
    path = tmp_path / "e.yaml"
    path.write_text(content)
    with pytest.raises(PlanError, match=match):
        load_expectations(path)


def test_a_bare_list_and_an_empty_file_load(tmp_path):
    (tmp_path / "a.yaml").write_text("- rows >= 1\n")
    (tmp_path / "b.yaml").write_text("")
    assert load_expectations(tmp_path / "a.yaml")[0].line == 1
    assert load_expectations(tmp_path / "b.yaml") == []
    with pytest.raises(PlanError, match="not found"):
        load_expectations(tmp_path / "missing.yaml")


# --- evaluation -----------------------------------------------------------------------------

N = 1000


def data() -> pa.Table:
    rng = np.random.default_rng(0)
    return pa.table(
        {
            "income": np.arange(N, dtype=float) * 10,  # 0, 10, ..., 9990
            "age": [None if i < 30 else 10 + i % 90 for i in range(N)],  # 10..99, 3% missing
            "plan": ["basic", "pro", "enterprise", "premium"] * (N // 4),
            "customer_id": [f"c{i}" for i in range(N)],
            "note": rng.choice(["a", "b"], N),
        }
    )


@pytest.fixture(scope="module")
def current():
    table = data()
    schema = infer_schema(table, id="customer_id")
    ref, cur = profiles(table, table, schema)
    return ref, cur


def check(current, text: str) -> Finding:
    ref, cur = current
    found = check_quality(ref, cur, expectations=[parse(text)])
    return one(found, "expectation", parse(text).column)


def test_a_bound_near_the_minimum_is_kept_within_what_the_histogram_proves(current):
    found = check(current, "income >= 10")  # only the value 0 breaks it
    assert verdict(found) == "fail" and found.details["exact"] is False
    assert 1 <= found.details["violations"] <= 4  # the first bin holds 0, 10, 20, 30
    assert found.message.startswith("income >= 10: ")
    exact = check(current, "income <= 9990")
    assert (verdict(exact), exact.statistic, exact.details["exact"]) == ("ok", 0.0, True)


def test_counts_below_an_edge_are_exact(current):
    _, cur = current
    income = cur.columns["income"]
    for edge in income.edges:
        count, exact = count_below(income, float(edge))
        assert exact and count == np.count_nonzero(np.arange(N) * 10.0 < edge)


def test_a_bound_inside_the_range_is_estimated_from_the_sketch(current):
    below = check(current, "income >= 2500")
    assert (verdict(below), below.details["exact"]) == ("fail", False)
    assert below.statistic == pytest.approx(0.25, abs=0.02)
    assert check(current, "income < 2500").statistic == pytest.approx(0.75, abs=0.02)
    between = check(current, "age between 18 and 100")
    assert between.statistic == pytest.approx(8 / 90, abs=0.02)


def test_without_sketches_the_histogram_gives_the_estimate():
    table = data()
    schema = infer_schema(table, id="customer_id")
    ref = profile(table, schema, config=ProfileConfig(sketches=False))
    cur = profile(table, schema, reference=ref)
    found = one(
        check_quality(ref, cur, expectations=[parse("income >= 2500")]), "expectation", "income"
    )
    assert found.statistic == pytest.approx(0.25, abs=0.01)
    assert found.details["exact"] is False


def test_values_below_the_reference_minimum_are_counted_exactly():
    table = data()
    income = np.arange(N, dtype=float) * 10
    income[:32] = -5.0
    ref, cur = profiles(table, table.set_column(0, "income", pa.array(income)))
    found = one(
        check_quality(ref, cur, expectations=[parse("income >= 0")]), "expectation", "income"
    )
    assert (found.statistic, found.details["exact"]) == (0.032, True)
    assert found.message == "income >= 0: 3.2% of values break it (32 of 1,000)"


def test_membership_counts_values_outside_the_set(current):
    found = check(current, "plan in [basic, pro, enterprise]")
    assert (verdict(found), found.statistic, found.details["exact"]) == ("fail", 0.25, True)
    assert verdict(check(current, "plan in [basic, pro, enterprise, premium]")) == "ok"


def test_aggregates_report_the_observed_value(current):
    missing = check(current, "missing(age) <= 1%")
    assert (verdict(missing), missing.statistic) == ("fail", pytest.approx(0.03))
    assert missing.threshold == 0.01
    mean = check(current, "mean(income) between 1000 and 9000")
    assert (verdict(mean), mean.statistic) == ("ok", pytest.approx(4995.0))
    assert verdict(check(current, "std(income) > 3000")) == "fail"
    assert check(current, "max(income) == 9990").statistic == 9990
    assert check(current, "median(income) > 4000").statistic == pytest.approx(4995, rel=0.03)
    assert check(current, "distinct(plan) == 4").verdict.value == "ok"
    rows = check(current, "rows >= 1000")
    assert (verdict(rows), rows.statistic, rows.column) == ("ok", 1000.0, None)


def test_uniqueness_from_the_key_profile_and_from_categories(current):
    assert verdict(check(current, "unique(customer_id)")) == "ok"
    plan = check(current, "unique(plan)")
    assert (verdict(plan), plan.statistic) == ("fail", N - 4)
    income = check(current, "unique(income)")
    assert verdict(income) == "ok" and income.details["exact"] is False


def test_repeated_ids_break_uniqueness():
    table = data()
    cur_table = table.set_column(
        3, "customer_id", pa.array(["c1"] * 5 + [f"c{i}" for i in range(5, N)])
    )
    ref, cur = profiles(table, cur_table, infer_schema(table, id="customer_id"))
    found = one(
        check_quality(ref, cur, expectations=[parse("unique(customer_id)")]),
        "expectation",
        "customer_id",
    )
    assert (verdict(found), found.statistic) == ("fail", 4.0)


def test_an_unknown_column_raises_a_plan_error_naming_it(current):
    with pytest.raises(PlanError, match="unknown column 'salary'"):
        check(current, "salary >= 0")


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("plan >= 3", "needs a numeric column; 'plan' is categorical"),
        ("income in [1, 2]", "needs a categorical or boolean column"),
        ("mean(plan) > 1", "needs a numeric column"),
    ],
)
def test_rules_that_do_not_fit_the_column_kind_raise(current, text, match):
    with pytest.raises(PlanError, match=match):
        check(current, text)


def test_an_expectation_from_yaml_names_its_line_in_errors(current, tmp_path):
    path = tmp_path / "e.yaml"
    path.write_text("expectations:\n  - rows >= 1\n  - salary >= 0\n")
    ref, cur = current
    with pytest.raises(PlanError, match=r"'salary >= 0' \(line 3\).*'salary'"):
        check_quality(ref, cur, expectations=load_expectations(path))


def test_a_column_missing_from_the_current_data_fails():
    table = data()
    ref, cur = profiles(table, table.drop_columns(["income"]), infer_schema(table))
    found = one(
        check_quality(ref, cur, expectations=[parse("income >= 0")]), "expectation", "income"
    )
    assert verdict(found) == "fail" and "missing from the current data" in found.message


def test_an_aggregate_without_values_warns():
    table = data()
    cur_table = table.set_column(0, "income", pa.array([None] * N, pa.float64()))
    ref, cur = profiles(table, cur_table, infer_schema(table))
    item = parse("mean(income) > 0")
    found = evaluate(item, _comparison(ref, cur, item))
    assert (verdict(found), found.statistic) == ("warn", None)
    rule = parse("income >= 0")
    assert verdict(evaluate(rule, _comparison(ref, cur, rule))) == "ok"


def _comparison(ref, cur, item: Expectation):
    from steward.checks.quality import Comparison, QualityPolicy

    return Comparison(ref, cur, QualityPolicy(), expectations=(item,))
