"""The shared feature encoder: fitted on the reference, one unit of variance per column."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from steward.checks.multivariate import FeatureEncoder
from steward.schema import Column, Kind


def _columns(**kinds):
    return [Column(name=name, kind=Kind(kind)) for name, kind in kinds.items()]


def test_constructor_only_stores_parameters_and_learned_names_end_in_underscore():
    encoder = FeatureEncoder(max_categories=3)
    assert vars(encoder) == {"max_categories": 3}
    encoder.fit(pa.table({"x": [1.0, 2.0]}), _columns(x="numeric"))
    assert all(name.endswith("_") for name in set(vars(encoder)) - {"max_categories"})


def test_numeric_columns_are_standardised_on_the_reference():
    table = pa.table({"x": [1.0, 2.0, 3.0, 4.0]})
    encoder = FeatureEncoder().fit(table, _columns(x="numeric"))
    encoded = encoder.transform(table)
    assert encoder.feature_names_ == ["x"]
    assert encoded.mean() == pytest.approx(0) and encoded.std() == pytest.approx(1)
    later = encoder.transform(pa.table({"x": [2.5, 5.0]}))
    assert later[:, 0] == pytest.approx((np.array([2.5, 5.0]) - 2.5) / np.std([1, 2, 3, 4]))


def test_missing_numbers_get_the_median_and_an_indicator_only_when_the_reference_had_some():
    reference = pa.table({"x": [1.0, None, 3.0, 10.0], "y": [1.0, 2.0, 3.0, 4.0]})
    encoder = FeatureEncoder().fit(reference, _columns(x="numeric", y="numeric"))
    assert encoder.feature_names_ == ["x", "x=(missing)", "y"]
    encoded = encoder.transform(pa.table({"x": [None, 3.0], "y": [None, float("inf")]}))
    assert encoded[0, 0] == pytest.approx(encoded[1, 0])  # imputed with the median, 3
    assert encoded[0, 1] > 0 > encoded[1, 1]
    assert np.isfinite(encoded).all()  # y had no missing values: imputed, no indicator


def test_categories_are_the_reference_top_ones_plus_other():
    reference = pa.table({"c": ["a"] * 5 + ["b"] * 3 + ["c"] * 2 + [None]})
    encoder = FeatureEncoder(max_categories=2).fit(reference, _columns(c="categorical"))
    assert encoder.feature_names_ == ["c=a", "c=b", "c=(other)"]
    encoded = encoder.transform(reference)
    assert encoded.mean(axis=0) == pytest.approx(0)
    assert encoded.var(axis=0).sum() == pytest.approx(1)  # one unit of variance per column
    unseen = encoder.transform(pa.table({"c": ["zzz", "c", None]}))
    assert (unseen == unseen[0]).all()  # unseen, rare and missing all fall in (other)


def test_booleans_are_zero_one_and_groups_map_features_to_columns():
    table = pa.table({"b": [True, False, True, True], "c": ["x", "y", "x", "x"]})
    encoder = FeatureEncoder().fit(table, _columns(b="boolean", c="categorical"))
    assert encoder.feature_names_ == ["b", "c=x", "c=y", "c=(other)"]
    assert encoder.groups_.tolist() == [0, 1, 1, 1]
    assert encoder.columns_ == ["b", "c"]
    encoded = encoder.transform(table)[:, 0]
    assert encoded[0] == encoded[2] > encoded[1]
