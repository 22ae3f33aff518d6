"""Each column check on small hand-made tables whose right answer is known by hand."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from quality_helpers import one, profiles, run, verdict

from steward._exceptions import ProfileMismatch
from steward.checks.quality import check_quality
from steward.profile import profile
from steward.schema import infer_schema

N = 1000


def floats(n: int = N, start: float = 0.0) -> np.ndarray:
    return np.arange(n, dtype=float) + start


# --- missing_rate ---------------------------------------------------------------------------


def test_missing_jump_from_zero_to_ten_percent_fails():
    ref = pa.table({"x": floats()})
    cur_values = [None if i % 10 == 0 else float(i) for i in range(N)]
    found = one(run(ref, pa.table({"x": cur_values})), "missing_rate", "x")
    assert verdict(found) == "fail"
    assert found.statistic == pytest.approx(0.1)
    assert found.threshold == pytest.approx(0.02)
    assert found.details["count"] == 100
    assert found.message == "x: 10% missing (100 of 1,000) vs 0% in the reference"


def test_new_missingness_below_tolerance_warns_on_strong_evidence():
    ref = pa.table({"x": floats(100_000)})
    cur = pa.table({"x": [None] * 5 + list(floats(995))})
    found = one(run(ref, cur), "missing_rate", "x")
    assert (verdict(found), found.statistic) == ("warn", pytest.approx(0.005))


def test_a_little_missing_in_a_small_window_is_noise():
    ref = pa.table({"x": floats()})
    cur = pa.table({"x": [None] * 5 + list(floats(995))})
    assert verdict(one(run(ref, cur), "missing_rate", "x")) == "ok"


@pytest.mark.parametrize(("current_rate", "expected"), [(0.055, "ok"), (0.09, "fail")])
def test_missing_rate_is_held_to_the_reference_rate(current_rate, expected):
    rng = np.random.default_rng(1)
    ref = pa.table(
        {
            "x": pa.array(
                np.where(rng.random(100_000) < 0.05, np.nan, 1.0) * rng.random(100_000),
                from_pandas=True,
            )
        }
    )
    cur_x = rng.random(200_000)
    cur_x[: int(current_rate * 200_000)] = np.nan
    found = one(run(ref, pa.table({"x": pa.array(cur_x, from_pandas=True)})), "missing_rate", "x")
    assert verdict(found) == expected
    assert found.details["reference_rate"] == pytest.approx(0.05, abs=0.003)


# --- out_of_range ---------------------------------------------------------------------------


def test_values_below_the_reference_minimum_are_counted_exactly():
    ref = pa.table({"income": floats()})
    cur = pa.table({"income": [-5.0] * 32 + list(floats(N - 32, 1.0))})
    found = one(run(ref, cur), "out_of_range", "income")
    assert verdict(found) == "fail"
    assert found.statistic == pytest.approx(0.032)
    assert (found.details["below"], found.details["above"]) == (32, 0)
    assert found.message == ("income: 3.2% of values below the reference minimum 0 (lowest -5)")


def test_values_above_the_reference_maximum_are_counted_exactly():
    ref = pa.table({"x": floats()})
    cur = pa.table({"x": list(floats(990)) + [999.0] * 3 + [1000.0] * 7})
    found = one(run(ref, cur), "out_of_range", "x")
    assert (found.details["below"], found.details["above"]) == (0, 7)
    assert found.statistic == pytest.approx(0.007)


def test_a_couple_of_wild_outliers_in_a_million_rows_warn_not_fail():
    rng = np.random.default_rng(2)
    ref = pa.table({"x": rng.random(200_000)})
    cur_x = rng.random(1_000_000)
    cur_x[:2] = 1e6
    found = one(run(ref, pa.table({"x": cur_x})), "out_of_range", "x")
    assert verdict(found) == "warn"
    assert found.details["far"] is True
    assert found.details["above"] >= 2


def test_a_couple_of_sentinels_warn():
    rng = np.random.default_rng(6)
    current = rng.integers(18, 90, 100_000)
    current[:2] = -999
    found = one(
        run(pa.table({"age": rng.integers(18, 90, 10_000)}), pa.table({"age": current})),
        "out_of_range",
        "age",
    )
    assert (verdict(found), found.details["below"]) == ("warn", 2)
    assert found.message == "age: 0.002% of values below the reference minimum 18 (lowest -999)"


def test_a_heavy_tail_in_a_much_larger_window_is_not_wild():
    rng = np.random.default_rng(7)
    ref = pa.table({"income": rng.pareto(1.0, 2_000)})
    found = one(run(ref, pa.table({"income": rng.pareto(1.0, 500_000)})), "out_of_range", "income")
    assert found.details["above"] > 0 and found.details["far"] is False
    assert verdict(found) == "ok"


def test_a_window_like_the_reference_has_a_few_values_beyond_it_and_passes():
    rng = np.random.default_rng(3)
    ref = pa.table({"x": rng.normal(size=20_000)})
    found = one(run(ref, pa.table({"x": rng.normal(size=200_000)})), "out_of_range", "x")
    assert found.details["below"] + found.details["above"] > 0
    assert verdict(found) == "ok"


def test_out_of_range_needs_profiles_on_the_same_edges():
    ref = profile(pa.table({"x": floats()}))
    cur = profile(pa.table({"x": floats(50, 7.0)}))
    with pytest.raises(ProfileMismatch, match="'x'"):
        check_quality(ref, cur)


# --- unseen_categories ----------------------------------------------------------------------


def plans(**counts: int) -> list[str]:
    return [name for name, count in counts.items() for _ in range(count)]


def test_unseen_categories_are_named_with_their_shares():
    ref = pa.table({"plan": plans(basic=600, pro=300, enterprise=100)})
    cur = pa.table({"plan": plans(basic=500, pro=300, enterprise=100, premium=80, trial=20)})
    found = one(run(ref, cur), "unseen_categories", "plan")
    assert verdict(found) == "fail"
    assert found.statistic == pytest.approx(0.1)
    assert found.details["values"] == ["premium", "trial"]
    assert found.details["shares"] == pytest.approx([0.08, 0.02])
    assert found.message == ("plan: 10% of values in 2 unseen categories: premium (8%), trial (2%)")


def test_a_rare_new_category_warns():
    ref = pa.table({"plan": plans(basic=6000, pro=4000)})
    cur = pa.table({"plan": plans(basic=5980, pro=4000, trial=20)})
    found = one(run(ref, cur), "unseen_categories", "plan")
    assert (verdict(found), found.statistic) == ("warn", pytest.approx(0.002))


def test_a_long_tail_predicts_new_rare_values():
    rng = np.random.default_rng(4)
    words = np.array([f"w{i}" for i in range(5000)])
    ref = pa.table({"word": rng.choice(words, 3000)})
    cur = pa.table({"word": rng.choice(words, 3000)})
    found = one(
        run(
            ref,
            cur,
            schema=infer_schema(ref).override(word={"kind": "categorical", "role": "feature"}),
        ),
        "unseen_categories",
        "word",
    )
    assert found.statistic > 0.2
    assert verdict(found) == "ok"


def test_booleans_have_unseen_values_too():
    ref = pa.table({"flag": [False] * 500})
    cur = pa.table({"flag": [False] * 400 + [True] * 100})
    schema = infer_schema(ref)
    found = one(run(ref, cur, schema=schema), "unseen_categories", "flag")
    assert (verdict(found), found.details["values"]) == ("fail", ["true"])


# --- constant_column ------------------------------------------------------------------------


def test_a_constant_window_fails_when_the_reference_varied():
    ref = pa.table({"x": floats()})
    found = one(run(ref, pa.table({"x": [3.0] * 500})), "constant_column", "x")
    assert verdict(found) == "fail"
    assert found.details["value"] == "3"
    assert found.message.startswith("x: all 500 values are 3; the reference had")


def test_two_equal_values_are_not_evidence_of_a_constant_column():
    ref = pa.table({"x": floats()})
    found = one(run(ref, pa.table({"x": [3.0, 3.0]})), "constant_column", "x")
    assert verdict(found) == "ok"
    assert found.p_value > 0.001


@pytest.mark.parametrize(("rows", "expected"), [(5, "ok"), (20, "fail")])
def test_a_constant_boolean_needs_enough_rows(rows, expected):
    ref = pa.table({"flag": [True, False] * 500})
    found = one(run(ref, pa.table({"flag": [True] * rows})), "constant_column", "flag")
    assert verdict(found) == expected
    assert found.p_value == pytest.approx(2 * 0.5**rows)


def test_a_constant_reference_is_no_alarm():
    ref = pa.table({"plan": ["basic"] * 100, "x": floats(100)})
    found = one(
        run(ref, pa.table({"plan": ["basic"] * 50, "x": floats(50)})), "constant_column", "plan"
    )
    assert verdict(found) == "ok"


# --- duplicate_ids --------------------------------------------------------------------------


def ids(n: int, prefix: str = "c") -> list[str]:
    return [f"{prefix}{i}" for i in range(n)]


def test_repeated_ids_fail_with_their_count():
    ref = pa.table({"customer_id": ids(N), "x": floats()})
    cur_ids = [*ids(N - 3, "d"), "d0", "d1", "d2"]
    found = one(
        run(ref, pa.table({"customer_id": cur_ids, "x": floats()})), "duplicate_ids", "customer_id"
    )
    assert verdict(found) == "fail"
    assert (found.details["count"], found.statistic) == (3, pytest.approx(0.003))


def test_unique_ids_pass():
    ref = pa.table({"customer_id": ids(N), "x": floats()})
    found = one(
        run(ref, pa.table({"customer_id": ids(N, "d"), "x": floats()})),
        "duplicate_ids",
        "customer_id",
    )
    assert (verdict(found), found.statistic) == ("ok", 0.0)


# --- non_finite -----------------------------------------------------------------------------


def test_nan_and_inf_where_the_reference_had_none_fail_with_counts():
    ref = pa.table({"x": floats()})
    cur = pa.table({"x": [np.nan] * 3 + [np.inf] * 2 + list(floats(995))})
    found = one(run(ref, cur), "non_finite", "x")
    assert verdict(found) == "fail"
    assert found.details["counts"] == {"NaN": 3, "+inf": 2, "-inf": 0}
    assert (
        found.message == "x: 3 NaN, 2 +inf among 1,000 values (0.5%); the reference had no "
        "NaN or +inf"
    )


def test_nan_at_the_reference_rate_passes():
    rng = np.random.default_rng(5)
    ref_x, cur_x = rng.random(50_000), rng.random(50_000)
    ref_x[:500], cur_x[:520] = np.nan, np.nan
    found = one(run(pa.table({"x": ref_x}), pa.table({"x": cur_x})), "non_finite", "x")
    assert (verdict(found), found.details["counts"]["NaN"]) == ("ok", 520)


# --- unparsed_values ------------------------------------------------------------------------


def test_values_that_fail_to_parse_are_counted_and_not_called_missing():
    ref = pa.table({"x": floats()})
    cur = pa.table({"x": ["n/a"] * 30 + [str(v) for v in floats(970)]})
    ref_p, cur_p = profiles(ref, cur)
    found = check_quality(ref_p, cur_p)
    unparsed = one(found, "unparsed_values", "x")
    assert verdict(unparsed) == "fail"
    assert (unparsed.details["count"], unparsed.statistic) == (30, pytest.approx(0.03))
    assert unparsed.message.startswith("x: 3% failed to parse as numeric")
    assert verdict(one(found, "missing_rate", "x")) == "ok"
