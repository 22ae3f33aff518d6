"""Profile values against independent computations (NumPy, SciPy, pandas, plain Python)."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from profile_helpers import assert_profiles_equal
from scipy import stats

from steward._exceptions import SchemaError
from steward.profile import CategoricalProfile, NumericProfile, ProfileConfig, profile
from steward.profile._moments import Moments
from steward.schema import Column, Kind, Role, Schema


def schema(**kinds: str) -> Schema:
    return Schema(columns=tuple(Column(name=n, kind=k) for n, k in kinds.items()))


def messy_floats(rng: np.random.Generator, n: int) -> list[float | None]:
    """Skewed floats with NaN, ±inf and nulls sprinkled in."""
    values: list[float | None] = list(rng.lognormal(0.0, 1.0, n) - 1.0)
    for i in rng.choice(n, n // 10, replace=False):
        values[i] = [None, np.nan, np.inf, -np.inf][i % 4]
    return values


def finite(values: list[float | None]) -> np.ndarray:
    array = np.array([np.nan if v is None else v for v in values], dtype=float)
    return array[np.isfinite(array)]


# --- numeric -------------------------------------------------------------------------------


def test_moments_match_numpy_and_scipy():
    values = messy_floats(np.random.default_rng(1), 5_000)
    p = profile(pa.table({"x": values}), schema(x="numeric"))["x"]
    x = finite(values)
    m = p.moments
    assert m.n == len(x)
    assert m.mean == pytest.approx(np.mean(x), rel=1e-12)
    assert m.variance == pytest.approx(np.var(x, ddof=1), rel=1e-12)
    assert m.std == pytest.approx(np.std(x, ddof=1), rel=1e-12)
    assert m.skewness == pytest.approx(stats.skew(x, bias=True), rel=1e-10)
    assert m.kurtosis == pytest.approx(stats.kurtosis(x, bias=True), rel=1e-10)


def test_merged_moments_match_numpy_on_the_concatenation():
    rng = np.random.default_rng(2)
    parts = [rng.lognormal(i, 1.0 + i, size) for i, size in enumerate([1, 700, 3, 2_000])]
    merged = Moments()
    for part in parts:
        merged = merged.merge(Moments.of(part))
    x = np.concatenate(parts)
    assert merged.n == len(x)
    assert merged.mean == pytest.approx(np.mean(x), rel=1e-12)
    assert merged.variance == pytest.approx(np.var(x, ddof=1), rel=1e-10)
    assert merged.skewness == pytest.approx(stats.skew(x), rel=1e-9)
    assert merged.kurtosis == pytest.approx(stats.kurtosis(x), rel=1e-9)


def test_moments_of_too_few_values_are_nan():
    assert np.isnan(Moments.of(np.array([3.0])).variance)
    assert np.isnan(Moments.of(np.array([2.0, 2.0])).skewness)
    assert np.isnan(Moments().kurtosis)
    assert Moments.of(np.array([1.0, 3.0])).variance == 2.0


def test_numeric_counts_and_range():
    values = [1.5, None, np.nan, np.inf, -np.inf, -np.inf, 4.0, None, -2.0, np.nan]
    p = profile(pa.table({"x": values}), schema(x="numeric"))["x"]
    assert (p.rows, p.nulls, p.nans, p.pos_inf, p.neg_inf) == (10, 2, 2, 1, 2)
    assert (p.missing, p.finite) == (4, 3)
    assert (p.minimum, p.maximum) == (-2.0, 4.0)
    assert p.counts.sum() == 3


def test_histogram_matches_numpy_on_reference_and_current_edges():
    rng = np.random.default_rng(3)
    ref_values, cur_values = messy_floats(rng, 4_000), messy_floats(rng, 3_000)
    ref = profile(pa.table({"x": ref_values}), schema(x="numeric"), config=ProfileConfig(bins=32))
    cur = profile(pa.table({"x": cur_values}), reference=ref)
    for p, values in ((ref["x"], ref_values), (cur["x"], cur_values)):
        x = finite(values)
        bounds = np.concatenate([[-np.inf], p.edges, [np.inf]])
        counts, _ = np.histogram(x, bins=bounds)
        sums, _ = np.histogram(x, bins=bounds, weights=x)
        np.testing.assert_array_equal(p.counts, counts)
        np.testing.assert_allclose(p.sums, sums, rtol=1e-12, atol=1e-9)
    assert np.array_equal(ref["x"].edges, cur["x"].edges)
    assert ref["x"].counts[0] == ref["x"].counts[-1] == 0  # edges span the reference
    assert len(ref["x"].edges) == 33  # 32 inner bins of ~equal reference mass
    inner = ref["x"].counts[1:-1] / ref["x"].counts.sum()
    np.testing.assert_allclose(inner, 1 / 32, atol=1 / 32 * 0.05)


def test_few_distinct_values_get_one_bin_each():
    values = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5]
    p = profile(pa.table({"x": values}), schema(x="numeric"))["x"]
    distinct, counts = np.unique(values, return_counts=True)
    inner = p.counts[1:-1]
    assert len(inner) == len(distinct)
    np.testing.assert_array_equal(inner, counts)
    np.testing.assert_array_equal(p.bin_means()[1:-1], distinct)


def test_quantiles_come_from_the_sketch():
    x = np.random.default_rng(4).normal(size=20_000)
    p = profile(pa.table({"x": x}), schema(x="numeric"))["x"]
    np.testing.assert_allclose(
        p.quantiles([0.1, 0.5, 0.9]), np.quantile(x, [0.1, 0.5, 0.9]), atol=0.05
    )
    empty = profile(pa.table({"x": pa.array([None], pa.float64())}), schema(x="numeric"))["x"]
    assert np.isnan(empty.quantiles([0.5])).all()


# --- categorical, boolean, text, datetime, keys --------------------------------------------


def test_category_counts_match_counter():
    rng = np.random.default_rng(5)
    values = [None if v == "-" else str(v) for v in rng.choice(list("abcde-"), 2_000)]
    p = profile(pa.table({"c": values}), schema(c="categorical"))["c"]
    expected = Counter(v for v in values if v is not None)
    assert p.counts == dict(expected)
    assert (p.rows, p.nulls, p.other) == (2_000, values.count(None), 0)


def test_booleans_are_true_false_categories():
    values = [True, False, None, True, True]
    p = profile(pa.table({"b": values}), schema(b="boolean"))["b"]
    assert p.counts == {"true": 3, "false": 1}
    assert (p.nulls, p.kind) == (1, "boolean")


def test_float_categories_print_whole_numbers_without_a_decimal_point():
    values = [1.0, 2.0, 2.5, None, np.nan, np.inf, 1e300, -0.0]
    p = profile(pa.table({"c": values}), schema(c="categorical"))["c"]
    assert p.counts == {"1": 1, "2": 1, "2.5": 1, "nan": 1, "inf": 1, "1e+300": 1, "0": 1}


def test_current_keeps_the_reference_vocabulary():
    ref = profile(pa.table({"c": ["a", "b", "c"]}), schema(c="categorical"))
    cur = profile(pa.table({"c": ["a", "z"]}), reference=ref)
    assert cur["c"].counts == {"a": 1, "b": 0, "c": 0, "z": 1}
    assert cur["c"].vocabulary == ("a", "b", "c")


def test_rare_categories_beyond_top_k_fold_into_other():
    values = ["a"] * 5 + ["b"] * 4 + ["c"] * 3 + ["d"] * 2 + ["e"]
    p = profile(pa.table({"c": values}), schema(c="categorical"), config=ProfileConfig(top_k=3))
    assert p["c"].counts == {"a": 5, "b": 4, "c": 3}
    assert p["c"].other == 3
    np.testing.assert_allclose(p["c"].probabilities(["a", "b", "c"]), [5, 4, 3, 3] / np.float64(15))


def test_text_profiles_the_length_distribution():
    values = ["hello world", "", None, "héllo", "a b c d"]
    p = profile(pa.table({"t": values}), schema(t="text"))["t"]
    assert (p.rows, p.nulls) == (5, 1)
    assert p.length.moments.mean == pytest.approx(np.mean([11, 0, 5, 7]))
    assert (p.length.minimum, p.length.maximum) == (0.0, 11.0)


def test_datetime_range_in_epoch_microseconds():
    values = [dt.datetime(2024, 1, 2, 3), None, dt.datetime(2023, 5, 1)]
    p = profile(pa.table({"d": values}), schema(d="datetime"))["d"]
    epoch = dt.datetime(1970, 1, 1)
    assert p.minimum == (dt.datetime(2023, 5, 1) - epoch) // dt.timedelta(microseconds=1)
    assert p.maximum == (dt.datetime(2024, 1, 2, 3) - epoch) // dt.timedelta(microseconds=1)
    assert (p.rows, p.nulls) == (3, 1)


def test_date_columns_profile_as_datetimes():
    days = pa.array([dt.date(2020, 1, 1), None, dt.date(2020, 1, 3)], pa.date32())
    p = profile(pa.table({"d": days}), schema(d="datetime"))
    assert p["d"].minimum == 1_577_836_800_000_000
    assert p["d"].maximum == 1_577_836_800_000_000 + 2 * 86_400_000_000
    assert len(p.reservoir) == 3


def test_duplicate_rows_and_keys_match_pandas():
    rng = np.random.default_rng(6)
    frame = pd.DataFrame(
        {
            "id": rng.integers(0, 300, 500),
            "x": rng.integers(0, 4, 500).astype(float),
            "c": rng.choice(list("ab"), 500),
        }
    )
    s = Schema(
        columns=(
            Column(name="id", kind=Kind.NUMERIC, role=Role.ID),
            Column(name="x", kind=Kind.NUMERIC),
            Column(name="c", kind=Kind.CATEGORICAL),
        )
    )
    p = profile(frame, s)
    assert p.duplicate_rows == int(frame[["x", "c"]].duplicated().sum())
    assert p["id"].duplicates == int(frame["id"].duplicated().sum())
    assert p["id"].distinct == pytest.approx(frame["id"].nunique(), rel=0.05)


def test_large_integers_with_nulls_do_not_collide():
    ids = pa.array([2**60, 2**60 + 1, None], pa.int64())
    s = Schema(columns=(Column(name="id", kind=Kind.NUMERIC, role=Role.ID),))
    assert profile(pa.table({"id": ids}), s)["id"].duplicates == 0


# --- sketches and the sample ---------------------------------------------------------------


def test_distinct_estimates_within_five_percent_on_100k_values():
    n = 100_000
    table = pa.table(
        {
            "x": np.arange(n, dtype=float) * 0.37,
            "id": pa.array(np.arange(n) * 7 + 11),
            "c": pa.array([f"v{i}" for i in range(n)]),
        }
    )
    s = Schema(
        columns=(
            Column(name="x", kind=Kind.NUMERIC),
            Column(name="id", kind=Kind.NUMERIC, role=Role.ID),
            Column(name="c", kind=Kind.CATEGORICAL),
        )
    )
    p = profile(table, s)
    for name in ("x", "id", "c"):
        assert p[name].distinct == pytest.approx(n, rel=0.05), name
    assert len(p["c"].counts) == 1_000 and p["c"].other == n - 1_000


def test_distinct_estimate_is_near_exact_for_small_counts():
    p = profile(pa.table({"x": np.repeat(np.arange(300.0), 5)}), schema(x="numeric"))
    assert p["x"].distinct == pytest.approx(300, rel=0.02)


def _table(n: int, seed: int = 7) -> pa.Table:
    rng = np.random.default_rng(seed)
    return pa.table({"x": rng.normal(size=n), "c": rng.choice(list("abcd"), n)})


SMALL = schema(x="numeric", c="categorical")


def test_reservoir_is_bounded_and_profile_size_does_not_grow_with_rows():
    small, big = profile(_table(10_000), SMALL), profile(_table(200_000), SMALL)
    assert len(small.reservoir) == len(big.reservoir) == 10_000
    assert big.rows == 200_000
    assert len(big.to_bytes()) < 1.1 * len(small.to_bytes())


def test_reservoir_holds_every_row_when_the_data_fits():
    table = _table(500)
    p = profile(table, SMALL)

    def pairs(t: pa.Table) -> list[tuple]:
        return sorted(zip(t.column("x").to_pylist(), t.column("c").to_pylist(), strict=True))

    assert pairs(p.reservoir.rows) == pairs(table)
    np.testing.assert_array_equal(np.sort(p.reservoir.numeric("x")), np.sort(table["x"]))


def test_reservoir_sample_is_representative_and_sorted_by_key():
    table = _table(100_000)
    p = profile(table, SMALL, config=ProfileConfig(reservoir=2_000))
    x = p.reservoir.numeric("x")
    assert len(x) == 2_000
    assert abs(x.mean()) < 0.1 and 0.9 < x.std() < 1.1
    keys = p.reservoir.table.column("__steward_key").to_numpy()
    assert np.all(np.diff(keys.astype(np.float64)) >= 0)
    assert set(p.reservoir.table.column("c").to_pylist()) == set("abcd")


def test_reservoir_numeric_parses_numeric_strings():
    s = schema(v="numeric")
    p = profile(pa.table({"v": ["1.5", "abc", None, " 2 ", "inf"]}), s)
    np.testing.assert_array_equal(np.sort(p.reservoir.numeric("v")), [1.5, 2.0])


def test_same_seed_same_bytes_other_seed_other_sample():
    table = _table(30_000)
    exact = ProfileConfig(seed=3, sketches=False)
    assert (
        profile(table, SMALL, config=exact).to_bytes()
        == profile(table, SMALL, config=exact).to_bytes()
    )
    a = profile(table, SMALL, config=ProfileConfig(seed=3))
    b = profile(table, SMALL, config=ProfileConfig(seed=3))
    c = profile(table, SMALL, config=ProfileConfig(seed=4))
    assert_profiles_equal(a, b, rel=0.0)  # all but the (randomised) KLL sketch's internals
    # the KLL sketch compacts at random, so its quantiles agree within its rank error bound
    values = np.sort(table.column("x").drop_null().to_numpy())
    values = values[np.isfinite(values)]
    bound = 2 * a["x"].kll.normalized_rank_error(False)
    for sketched in (a, b):
        found = sketched["x"].quantiles([0.1, 0.5, 0.9])
        ranks = np.searchsorted(values, found, side="right") / len(values)
        np.testing.assert_allclose(ranks, [0.1, 0.5, 0.9], atol=bound)
    assert a.reservoir.table.equals(b.reservoir.table)
    assert not np.array_equal(a.reservoir.numeric("x"), c.reservoir.numeric("x"))
    assert a["x"].counts.tolist() == c["x"].counts.tolist()


def test_profile_is_independent_of_row_order():
    table = _table(5_000)
    shuffled = table.take(np.random.default_rng(0).permutation(5_000))
    a, b = profile(table, SMALL), profile(shuffled, SMALL)
    assert a.reservoir.table.equals(b.reservoir.table)
    np.testing.assert_array_equal(a["x"].counts, b["x"].counts)
    assert a["c"].counts == b["c"].counts


# --- unparsed values -----------------------------------------------------------------------


def test_unparsed_counts_values_that_became_missing():
    table = pa.table(
        {
            "v": ["1", "x", None, "2e3", "nan", "-inf", ".5"],
            "b": ["yes", "no", "maybe", None, "1", "0", "TRUE"],
            "d": [
                "2024-01-01",
                "2024-01-02 10:00:00",
                "soon",
                None,
                "2024-13-01",
                "2023-02-03",
                "x",
            ],
            "c": ["a", None, "b", "c", "d", "e", "f"],
        }
    )
    p = profile(table, schema(v="numeric", b="boolean", d="datetime", c="categorical"))
    assert p.unparsed == {"v": 1, "b": 1, "d": 3}
    assert p["v"].nulls == 2 and p["v"].nans == 1 and p["v"].neg_inf == 1
    assert p["b"].counts == {"true": 3, "false": 2}
    assert p["d"].nulls == 4
    assert p["d"].minimum == 1_675_382_400_000_000  # 2023-02-03
    merged = p.merge(p)
    assert merged.unparsed == {"v": 2, "b": 2, "d": 6}


def test_all_unparseable_datetimes_count_as_missing():
    p = profile(pa.table({"d": ["x", "y", None]}), schema(d="datetime"))
    assert (p["d"].rows, p["d"].nulls) == (3, 3)
    assert p.unparsed == {"d": 2}


def test_numeric_profile_from_booleans():
    p = profile(pa.table({"x": [True, False, True, None]}), schema(x="numeric"))["x"]
    assert isinstance(p, NumericProfile)
    assert (p.moments.n, p.moments.mean, p.nulls) == (3, pytest.approx(2 / 3), 1)


def test_ignored_columns_are_not_profiled():
    s = Schema(
        columns=(
            Column(name="x", kind=Kind.NUMERIC),
            Column(name="skip", kind=Kind.CATEGORICAL, role=Role.IGNORED),
        )
    )
    p = profile(pa.table({"x": [1.0, 2.0], "skip": ["a", "b"]}), s)
    assert list(p.columns) == ["x"]
    assert p.reservoir.rows.column_names == ["x"]
    assert isinstance(
        profile(pa.table({"c": ["a"]}), schema(c="categorical"))["c"], CategoricalProfile
    )


def test_nested_columns_are_refused_by_name_unless_ignored():
    table = pa.table({"tags": [[1, 2], [3]], "x": [1.0, 2.0]})
    with pytest.raises(SchemaError, match=r"\['tags'\] hold nested values"):
        profile(table)
    s = Schema(
        columns=(
            Column(name="tags", kind=Kind.CATEGORICAL, role=Role.IGNORED),
            Column(name="x", kind=Kind.NUMERIC),
        )
    )
    assert list(profile(table, s).columns) == ["x"]


def test_schema_columns_missing_from_the_data():
    with pytest.raises(SchemaError, match=r"lacks column\(s\) \['y'\]"):
        profile(pa.table({"x": [1.0]}), schema(x="numeric", y="numeric"))
