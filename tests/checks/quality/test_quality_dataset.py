"""Schema checks, duplicate rows, the registry, the policy and the entry point."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from quality_helpers import one, problems, profiles, run, verdict

from steward._exceptions import PlanError, UnknownCheck
from steward.checks.quality import (
    REGISTRY,
    ColumnCheck,
    DatasetCheck,
    QualityPolicy,
    check_quality,
    get,
    register,
)
from steward.schema import infer_schema

DOCUMENTED = {
    "missing_columns",
    "extra_columns",
    "type_change",
    "unparsed_values",
    "missing_rate",
    "out_of_range",
    "unseen_categories",
    "constant_column",
    "duplicate_rows",
    "duplicate_ids",
    "non_finite",
    "expectation",
}


def reference(n: int = 1000) -> pa.Table:
    rng = np.random.default_rng(0)
    return pa.table(
        {
            "age": rng.integers(18, 90, n),
            "income": rng.lognormal(8, 1, n),
            "plan": rng.choice(["basic", "pro"], n),
            "target": rng.integers(0, 2, n),
        }
    )


# --- registry -------------------------------------------------------------------------------


def test_the_registry_holds_exactly_the_documented_checks():
    assert set(REGISTRY) == DOCUMENTED
    for name, check in REGISTRY.items():
        assert check.check_name == f"quality.{name}"
        assert check.description
        assert isinstance(check, (ColumnCheck, DatasetCheck))


def test_unknown_and_twice_registered_checks_are_refused():
    with pytest.raises(UnknownCheck, match="registered"):
        get("nope")
    with pytest.raises(ValueError, match="twice"):
        register(get("missing_rate"))


# --- missing / extra columns and type changes ------------------------------------------------


def test_missing_feature_fails_and_missing_target_is_only_noted():
    ref = reference()
    found = run(ref, ref.drop_columns(["age", "target"]), own_schema=True)
    assert verdict(one(found, "missing_columns", "age")) == "fail"
    target = one(found, "missing_columns", "target")
    assert verdict(target) == "ok" and "joined later" in target.message
    assert verdict(one(found, "missing_columns", "plan")) == "ok"
    assert one(found, "missing_columns", "age").statistic == 1.0


def test_missing_columns_work_without_the_current_schema():
    ref = reference()
    found = run(ref, ref.drop_columns(["age"]))
    assert verdict(one(found, "missing_columns", "age")) == "fail"
    assert not [f for f in found if f.check in ("quality.extra_columns", "quality.type_change")]


def test_extra_columns_warn():
    ref = reference()
    cur = ref.append_column("coupon", pa.array(["x"] * ref.num_rows))
    found = run(ref, cur, own_schema=True)
    extra = one(found, "extra_columns", "coupon")
    assert verdict(extra) == "warn"
    assert extra.message == "coupon: categorical column (string) not in the reference"
    assert verdict(one(found, "extra_columns", "age")) == "ok"


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (pa.array(np.arange(1000) % 70 + 18, type=pa.int32()), "ok"),  # width only
        (pa.array([18, 19] * 500), "ok"),  # read as categories in this window: same family
        (pa.array((np.arange(1000) % 70 + 18).astype(float)), "warn"),  # int -> float
        (pa.array(["young", "old"] * 500), "fail"),  # numbers now words
    ],
)
def test_type_changes_by_family_and_kind(values, expected):
    ref = reference()
    cur = ref.set_column(0, "age", values)
    schema = infer_schema(ref)
    ref_p, cur_p = profiles(ref, cur.drop_columns(["age"]), schema)
    found = check_quality(ref_p, cur_p, current_schema=infer_schema(cur))
    change = one(found, "type_change", "age")
    assert verdict(change) == expected
    assert change.details["current"]["dtype"] == str(values.type)


def test_type_change_message_names_both_types():
    ref = reference()
    cur = ref.set_column(0, "age", pa.array(["young", "old"] * 500))
    ref_p, cur_p = profiles(ref, cur.drop_columns(["age"]))
    found = one(check_quality(ref_p, cur_p, current_schema=infer_schema(cur)), "type_change", "age")
    assert found.message == "age: type int64 (numeric) → string (categorical)"


def test_an_all_null_current_column_has_no_type_to_compare():
    ref = reference()
    cur = ref.set_column(2, "plan", pa.nulls(ref.num_rows))
    found = run(
        ref,
        cur.drop_columns(["plan"]).append_column(
            "plan", pa.array([None] * ref.num_rows, pa.string())
        ),
        own_schema=False,
    )
    assert verdict(one(found, "missing_rate", "plan")) == "fail"
    ref_p, cur_p = profiles(ref, cur.drop_columns(["plan"]))
    change = one(
        check_quality(ref_p, cur_p, current_schema=infer_schema(cur)), "type_change", "plan"
    )
    assert verdict(change) == "ok"


# --- duplicate rows -------------------------------------------------------------------------


def test_duplicate_rows_fail_with_their_count():
    ref = reference()
    cur = pa.concat_tables([ref.slice(0, 900), ref.slice(0, 100)])
    found = one(run(ref, cur), "duplicate_rows")
    assert verdict(found) == "fail"
    assert (found.details["count"], found.statistic) == (100, pytest.approx(0.1))


def test_data_that_repeats_by_nature_is_not_flagged_in_a_larger_window():
    rng = np.random.default_rng(1)

    def table(n: int) -> pa.Table:
        return pa.table(
            {"plan": rng.choice(["a", "b", "c"], n), "region": rng.choice(["north", "south"], n)}
        )

    found = one(run(table(1000), table(200_000)), "duplicate_rows")
    assert verdict(found) == "ok"
    assert found.statistic == pytest.approx(1 - 6 / 200_000)


# --- policy ---------------------------------------------------------------------------------


def test_policy_thresholds_override_defaults_globally_and_per_column():
    policy = QualityPolicy(
        thresholds={"missing_rate": 0.05}, columns={"age": {"thresholds": {"missing_rate": 0.2}}}
    )
    assert policy.threshold("missing_rate") == 0.05
    assert policy.threshold("missing_rate", "age") == 0.2
    assert policy.threshold("out_of_range", "age") == get("out_of_range").threshold
    assert policy.in_force()["missing_rate"] == 0.05


def test_policy_changes_the_verdict():
    ref = reference()
    cur = ref.set_column(
        1,
        "income",
        pa.array([None if i % 10 == 0 else 1.0 for i in range(ref.num_rows)], pa.float64()),
    )
    assert verdict(one(run(ref, cur), "missing_rate", "income")) == "fail"
    lenient = QualityPolicy(columns={"income": {"thresholds": {"missing_rate": 0.2}}})
    # still significant, and the reference had no missing values at all: warn, not fail
    assert verdict(one(run(ref, cur, policy=lenient), "missing_rate", "income")) == "warn"


def test_skipped_checks_give_no_findings():
    ref = reference()
    policy = QualityPolicy(skip=["duplicate_rows"], columns={"age": {"skip": ["missing_rate"]}})
    found = run(ref, ref, policy=policy)
    assert not [f for f in found if f.check == "quality.duplicate_rows"]
    assert not [f for f in found if f.check == "quality.missing_rate" and f.column == "age"]
    assert one(found, "missing_rate", "plan")


@pytest.mark.parametrize(
    ("data", "match"),
    [
        ({"thresholds": {"nope": 0.1}}, "unknown quality check 'nope'"),
        ({"thresholds": {"type_change": 0.1}}, "takes no threshold"),
        ({"thresholds": {"missing_rate": 2.0}}, "between 0 and 1"),
        ({"alpha": 0}, "alpha"),
        ({"colour": "red"}, "colour"),
        ({"columns": {"age": {"skip": ["nope"]}}}, "nope"),
    ],
)
def test_invalid_policies_raise_plan_errors(data, match):
    with pytest.raises(PlanError, match=match):
        QualityPolicy.from_dict(data)


def test_a_policy_naming_an_unknown_column_is_refused():
    ref = reference()
    with pytest.raises(PlanError, match="'salary'"):
        run(ref, ref, policy=QualityPolicy(columns={"salary": {"skip": ["missing_rate"]}}))


def test_same_data_gives_no_problems_and_findings_are_json_ready():
    ref = reference()
    found = run(ref, ref, own_schema=True)
    assert problems(found) == []
    assert {f.check.removeprefix("quality.") for f in found} == DOCUMENTED - {
        "expectation",
        "duplicate_ids",
    }
    for f in found:
        assert f.to_dict()["check"].startswith("quality.")
