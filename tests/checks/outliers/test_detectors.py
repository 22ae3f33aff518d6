"""Each detector: recall on planted rows, false-positive rate, determinism, save/load."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from outlier_data import clean, plant

from steward._exceptions import InputError, UnknownCheck
from steward.checks.outliers import (
    REGISTRY,
    IsolationForestDetector,
    OutlierDetector,
    get,
)

# the planted kinds each detector is built to catch (see the module docstrings)
DESIGNED_FOR = {
    "extreme_value": ("shift", "unseen"),
    "mahalanobis": ("shift", "joint"),
    "isolation_forest": ("joint",),
}


def test_registry_holds_the_three_detectors():
    assert set(REGISTRY) == {"isolation_forest", "mahalanobis", "extreme_value"}
    for name, spec in REGISTRY.items():
        assert spec.name == name == spec.factory().name
        assert spec.check_name == f"outlier.{name}"
    with pytest.raises(UnknownCheck, match="registered"):
        get("lof")


def test_every_registered_detector_has_a_recall_case():
    assert set(DESIGNED_FOR) == set(REGISTRY)


@pytest.mark.parametrize(
    ("name", "kind"), [(n, k) for n, kinds in DESIGNED_FOR.items() for k in kinds]
)
def test_recall_on_planted_rows_at_one_percent(fitted, reference, name, kind):
    table, planted = plant(reference, clean(20_000, seed=1), kind, 0.01, seed=2)
    flags = fitted[name].flag(table)
    assert flags[planted].mean() >= 0.9


@pytest.mark.parametrize("name", sorted(DESIGNED_FOR))
def test_false_positive_rate_on_clean_rows_is_the_target(fitted, name):
    detector = fitted[name]
    rows = 20_000
    rate = detector.flag(clean(rows, seed=3)).mean()
    p, held = detector.reference_rate_, detector.holdout_rows_
    tolerance = 4 * math.sqrt(p * (1 - p) * (1 / rows + 1 / held))
    assert abs(p - 0.01) <= 1 / held + 1e-12  # the held-out rate is the target, up to ties
    assert abs(rate - p) <= tolerance


@pytest.mark.parametrize("name", sorted(DESIGNED_FOR))
def test_scores_rank_planted_rows_above_clean_ones(fitted, reference, name):
    kind = DESIGNED_FOR[name][0]
    table, planted = plant(reference, clean(5000, seed=4), kind, 0.02, seed=5)
    scores = fitted[name].score(table)
    assert np.median(scores[planted]) > np.quantile(scores[~planted], 0.99)


@pytest.mark.parametrize("name", sorted(DESIGNED_FOR))
def test_same_seed_same_scores(reference, schema, fitted, name):
    again = get(name).factory(**fitted[name].get_params()).fit(reference, schema)
    table = clean(500, seed=6)
    np.testing.assert_array_equal(again.score(table), fitted[name].score(table))
    assert again.threshold_ == fitted[name].threshold_


def test_another_seed_changes_the_forest_but_not_the_rate(reference, schema, fitted):
    other = IsolationForestDetector(random_state=1).fit(reference, schema)
    table = clean(2000, seed=7)
    assert not np.array_equal(other.score(table), fitted["isolation_forest"].score(table))
    assert abs(other.reference_rate_ - fitted["isolation_forest"].reference_rate_) < 0.005


def test_scores_do_not_depend_on_threads(fitted, monkeypatch):
    from steward.checks.outliers import _forest

    table = clean(3000, seed=8)
    detector = fitted["isolation_forest"]
    monkeypatch.setattr(_forest, "CHUNK_ROWS", 512)
    chunked = detector.score(table)
    monkeypatch.setattr(_forest, "MAX_THREADS", 1)
    np.testing.assert_array_equal(chunked, detector.score(table))


def test_forest_matches_scikit_learn(reference, schema):
    """The flat-array forest scores exactly as scikit-learn's own ``score_samples``."""
    from sklearn.ensemble import IsolationForest

    detector = IsolationForestDetector(n_estimators=20).fit(reference, schema)
    matrix = detector.encoder_.transform(detector._prepare(reference), detector.columns_)
    model = IsolationForest(n_estimators=20, random_state=0).fit(matrix[:3000])
    ours = type(detector.forest_).from_sklearn(model).score(matrix)
    np.testing.assert_allclose(ours, -model.score_samples(matrix), rtol=1e-12)


@pytest.mark.parametrize("name", sorted(DESIGNED_FOR))
def test_save_load_round_trip_through_json(fitted, name):
    detector = fitted[name]
    data = json.loads(json.dumps(detector.to_dict()))
    loaded = OutlierDetector.from_dict(data)
    assert type(loaded) is type(detector)
    assert loaded.get_params() == detector.get_params()
    table = clean(1000, seed=9)
    np.testing.assert_array_equal(loaded.score(table), detector.score(table))
    assert loaded.threshold_ == detector.threshold_
    assert loaded.reference_rate_ == detector.reference_rate_


def test_a_tampered_forest_is_rejected_before_it_reaches_compiled_code(fitted):
    from steward.profile._codec import decode_array, encode_array

    data = json.loads(json.dumps(fitted["isolation_forest"].to_dict()))
    tree = data["state"]["forest"]["trees"][0]
    left = decode_array(tree["left"])
    left[0] = 10**9
    tree["left"] = encode_array(left)
    with pytest.raises(InputError, match="out of range"):
        OutlierDetector.from_dict(data)


@pytest.mark.parametrize(
    "change",
    [
        {"format": "pickle"},
        {"version": 99},
        {"name": "lof"},
    ],
)
def test_foreign_saved_data_is_refused(fitted, change):
    data = {**fitted["extreme_value"].to_dict(), **change}
    with pytest.raises((InputError, UnknownCheck)):
        OutlierDetector.from_dict(data)


def test_clone_from_params_is_unfitted(fitted):
    detector = fitted["isolation_forest"]
    clone = type(detector)(**detector.get_params())
    assert not hasattr(clone, "threshold_")
    assert repr(clone).startswith("IsolationForestDetector(")


def test_fits_on_a_profile_reservoir(reference, schema):
    from steward.profile import profile

    summary = profile(reference, schema)
    detector = get("extreme_value").factory().fit(summary)
    assert detector.holdout_rows_ == len(summary.reservoir) // 2
    assert detector.flag(clean(2000, seed=10)).mean() < 0.03
