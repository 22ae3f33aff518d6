"""Thresholds from a target mean time between false alarms."""

from __future__ import annotations

import pytest

from steward import stream
from steward._exceptions import InputError
from steward.stream._calibrate import mean_run_length, null_stream, siegmund_arl


def test_siegmund_matches_known_values():
    # Textbook ARL0 of the two-sided k = 0.5 CUSUM is about 168 at h = 4 and 465 at h = 5;
    # one side alone signals half as often.
    assert siegmund_arl(0.5, 4.0) == pytest.approx(2 * 168, rel=0.03)
    assert siegmund_arl(0.5, 5.0) == pytest.approx(2 * 465, rel=0.03)
    assert siegmund_arl(0.0, 3.0) == pytest.approx(4.166**2)


@pytest.mark.parametrize(
    ("name", "params"),
    [("cusum", {"mean": 0.0, "std": 1.0}), ("page_hinkley", {"alpha": 1.0, "mode": "up"})],
)
def test_formula_thresholds_hold_up_in_simulation(name, params):
    threshold = stream.calibrate(name, 400, **params)
    assert threshold == stream.calibrate(name, 400, method="formula", **params)
    detector = stream.create(name, **{**params, "threshold": threshold})
    arl = mean_run_length(detector, null_stream(400_000, None, seed=11))
    assert arl == pytest.approx(400, rel=0.25)


def test_two_sided_formula_halves_the_one_sided_run_length():
    one = stream.calibrate("cusum", 300, mean=0.0, std=1.0)
    both = stream.calibrate("cusum", 150, mean=0.0, std=1.0, two_sided=True)
    assert both == pytest.approx(one)


def test_simulated_threshold_is_deterministic_cached_and_kept_in_the_instance():
    value = stream.calibrate("ddm", 300, p0=0.2, seed=5)
    assert stream.calibrate("ddm", 300, p0=0.2, seed=5) == value
    detector = stream.DDM.for_false_alarm_rate(300, p0=0.2, seed=5, warm_start=50)
    assert detector.warm_start == 50
    assert detector.drift_threshold == stream.calibrate("ddm", 300, p0=0.2, seed=5, warm_start=50)
    assert detector.drift_threshold != value


def test_stricter_target_gives_stricter_threshold():
    loose = stream.calibrate("cusum", 100, p0=0.1)
    strict = stream.calibrate("cusum", 400, p0=0.1)
    assert strict > loose
    loose = stream.calibrate("eddm", 100, p0=0.3)
    strict = stream.calibrate("eddm", 400, p0=0.3)
    assert strict < loose


def test_eddm_keeps_alpha_above_beta():
    detector = stream.EDDM.for_false_alarm_rate(200, p0=0.3, alpha=0.9)
    assert detector.alpha >= detector.beta


def test_unreachable_targets_return_the_loosest_value():
    assert stream.calibrate("adwin", 200, p0=0.1) == stream.ADWIN.tuning.high


def test_kswin_searches_its_discrete_grid():
    alpha = stream.calibrate("kswin", 300, p0=0.3, window_size=40, stat_size=10)
    assert alpha in stream.KSWIN.calibration_grid({"stat_size": 10})


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        (("ddm", 500), {}, "p0"),
        (("ddm", 0.5), {"p0": 0.1}, "arl0"),
        (("ddm", 500), {"p0": 1.5}, "p0"),
        (("ddm", 500), {"p0": 0.1, "method": "formula"}, "formula"),
        (("ddm", 500), {"p0": 0.1, "method": "guess"}, "method"),
    ],
)
def test_bad_requests_are_input_errors(args, kwargs, message):
    with pytest.raises(InputError, match=message):
        stream.calibrate(*args, **kwargs)
