"""DLE on a regression stream with heteroscedastic noise, whose truth is known."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from estimate_helpers import by_check, hide_labels, regression, schema_of

from steward.checks.estimate import DLE
from steward.findings import Verdict


@pytest.fixture(scope="module")
def reference() -> pa.Table:
    return regression(8000, np.random.default_rng(1))


@pytest.fixture(scope="module")
def dle(reference: pa.Table) -> DLE:
    return DLE(threads=1).fit(reference, schema_of(reference))


def realised(window: pa.Table) -> dict[str, float]:
    error = window.column("target").to_numpy() - window.column("prediction").to_numpy()
    return {"mae": float(np.mean(np.abs(error))), "rmse": float(np.sqrt(np.mean(error**2)))}


def test_findings_carry_estimate_band_reference_and_coverage(dle: DLE) -> None:
    found = dle.estimate(regression(1000, np.random.default_rng(2)), window_index=1)
    assert [f.check for f in found] == ["estimate.mae", "estimate.rmse"]
    for f in found:
        assert f.lower < f.statistic < f.upper
        assert f.window == 1 and f.column == "target"
        assert f.details["method"] == "dle"
        assert f.threshold == pytest.approx(dle.reference_values_[f.check.split(".")[1]])


def test_estimates_track_the_realised_error_within_the_band(dle: DLE) -> None:
    rng = np.random.default_rng(3)
    hits, windows = {"mae": 0, "rmse": 0}, 30
    for w in range(windows):
        window = regression(1000, rng)
        truth = realised(window)
        for name, f in by_check(dle.estimate(hide_labels(window, 0.0, rng), w)).items():
            hits[name] += f.lower <= truth[name] <= f.upper
            assert abs(f.statistic - truth[name]) < 0.12 * truth[name], (name, w)
    assert hits["mae"] / windows >= 0.85 and hits["rmse"] / windows >= 0.8, hits


def test_shift_into_the_noisy_region_raises_the_estimate_and_fails(dle: DLE) -> None:
    """Covariate shift, same concept: the error grows and DLE sees it without labels."""
    rng = np.random.default_rng(4)
    window = regression(3000, rng, shift=1.0)
    truth = realised(window)
    found = by_check(dle.estimate(hide_labels(window, 0.0, rng)))
    for name, f in found.items():
        assert abs(f.statistic - truth[name]) < 0.1 * truth[name], name
        assert f.statistic > 1.12 * f.threshold
        assert f.verdict is Verdict.FAIL
        assert f.details["limit"] == pytest.approx(1.1 * f.threshold)


def test_noisier_labels_than_the_reference_make_the_estimate_unreliable(dle: DLE) -> None:
    rng = np.random.default_rng(5)
    window = hide_labels(regression(2000, rng, noise=1.6), 0.2, rng)
    for f in dle.estimate(window):
        assert f.verdict is Verdict.UNRELIABLE
        assert "concept shift suspected" in f.details["reason"]
        assert f.details["realised_on_labelled"] > 1.3 * f.details["estimate_on_labelled"]


def test_partial_labels_without_concept_shift_rarely_raise_alarms(dle: DLE) -> None:
    rng = np.random.default_rng(6)
    flagged = sum(
        any(
            f.verdict is Verdict.UNRELIABLE
            for f in dle.estimate(hide_labels(regression(1000, rng), 0.3, rng))
        )
        for _ in range(30)
    )
    assert flagged <= 2


def test_an_unseen_site_is_outside_the_support(dle: DLE) -> None:
    window = regression(1000, np.random.default_rng(7))
    site = np.array(window.column("site").to_pylist(), dtype=object)
    site[:200] = "moon"
    window = window.set_column(2, "site", pa.array(site.tolist()))
    f = dle.estimate(window)[0]
    assert f.verdict is Verdict.UNRELIABLE
    assert "site 20%" in f.details["reason"]


def test_missing_feature_values_are_allowed(dle: DLE) -> None:
    window = regression(1000, np.random.default_rng(8))
    x2 = window.column("x2").to_numpy().copy()
    x2[::3] = np.nan
    found = dle.estimate(window.set_column(1, "x2", pa.array(x2)))
    assert all(np.isfinite(f.statistic) for f in found)


def test_reference_estimates_are_honest_out_of_fold(dle: DLE) -> None:
    for name in ("mae", "rmse"):
        assert dle.reference_estimates_[name] == pytest.approx(
            dle.reference_values_[name], rel=0.05
        )


def test_fit_and_estimate_are_deterministic_under_a_seed(reference: pa.Table) -> None:
    window = hide_labels(regression(800, np.random.default_rng(9)), 0.5, np.random.default_rng(1))
    small = reference.slice(0, 3000)
    runs = [
        DLE(seed=3, max_iter=50, threads=1).fit(small, schema_of(small)).estimate(window, 0)
        for _ in range(2)
    ]
    assert [f.to_dict() for f in runs[0]] == [f.to_dict() for f in runs[1]]
