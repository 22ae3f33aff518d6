"""Where the algorithm is River's, the detections are River's.

The literals below were computed once with River 0.26 (``river.drift``), outside the test
suite, on the streams that ``stream_helpers`` rebuilds from the same seeds. Each row:
detector, parameters, stream, seed, drift indices, number of items in the warning zone.
"""

from __future__ import annotations

import pytest
from stream_helpers import bernoulli, falling, gaussian, item_by_item

from steward import stream

STREAMS = {"bernoulli": bernoulli, "gaussian": gaussian, "falling": falling}

RIVER = [
    ("adwin", {}, "gaussian", 0, [2047], 0),
    ("adwin", {}, "gaussian", 1, [2047], 0),
    ("adwin", {}, "gaussian", 2, [2047], 0),
    ("adwin", {}, "bernoulli", 0, [2047], 0),
    ("adwin", {}, "bernoulli", 1, [2079], 0),
    ("adwin", {}, "bernoulli", 2, [2079], 0),
    ("adwin", {"clock": 1, "delta": 0.01}, "bernoulli", 0, [2032], 0),
    ("adwin", {"clock": 1, "delta": 0.01}, "bernoulli", 1, [2052], 0),
    ("adwin", {"clock": 1, "delta": 0.01}, "bernoulli", 2, [2057], 0),
    ("page_hinkley", {}, "gaussian", 0, [1434, 2044, 3388], 0),
    ("page_hinkley", {}, "gaussian", 1, [1781, 2049, 3363], 0),
    ("page_hinkley", {}, "gaussian", 2, [2029, 3361], 0),
    ("page_hinkley", {"threshold": 20.0, "mode": "up"}, "bernoulli", 0, [1527, 2022], 0),
    ("page_hinkley", {"threshold": 20.0, "mode": "up"}, "bernoulli", 1, [2049], 0),
    ("page_hinkley", {"threshold": 20.0, "mode": "up"}, "bernoulli", 2, [2004, 3550], 0),
    ("ddm", {}, "bernoulli", 0, [2008], 760),
    ("ddm", {}, "bernoulli", 1, [39, 263, 2061], 399),
    ("ddm", {}, "bernoulli", 2, [89, 2016], 1471),
    ("eddm", {}, "bernoulli", 0, [289, 674, 1011, 1273, 1503, 1815, 2010], 96),
    (
        "eddm",
        {},
        "bernoulli",
        1,
        [
            298,
            638,
            1015,
            1355,
            1609,
            1957,
            2066,
            2154,
            2228,
            2313,
            2381,
            2452,
            2542,
            2628,
            2792,
            2864,
            2966,
            3109,
            3183,
            3255,
            3339,
            3449,
            3537,
            3618,
            3699,
            3771,
            3852,
            3933,
        ],
        145,
    ),
    ("eddm", {}, "bernoulli", 2, [290, 680, 1173, 1453, 1714, 2001, 2081, 2152, 2218, 2323], 782),
    ("hddm_a", {}, "bernoulli", 0, [2048, 3612], 9),
    ("hddm_a", {}, "bernoulli", 1, [2057], 6),
    ("hddm_a", {}, "bernoulli", 2, [2140], 32),
    ("hddm_a", {"two_sided_test": True}, "bernoulli", 0, [2048, 3612], 9),
    ("hddm_a", {"two_sided_test": True}, "bernoulli", 1, [2057], 6),
    ("hddm_a", {"two_sided_test": True}, "bernoulli", 2, [2140], 32),
    ("hddm_w", {}, "bernoulli", 0, [2014, 2702], 14),
    ("hddm_w", {}, "bernoulli", 1, [2059], 7),
    ("hddm_w", {}, "bernoulli", 2, [2078, 3838], 12),
    ("hddm_w", {"two_sided_test": True}, "bernoulli", 0, [2014, 2702], 35),
    ("hddm_w", {"two_sided_test": True}, "bernoulli", 1, [2059], 11),
    ("hddm_w", {"two_sided_test": True}, "bernoulli", 2, [2078, 2766, 3701], 82),
    ("hddm_a", {"two_sided_test": True}, "falling", 0, [2061], 12),
    ("hddm_a", {"two_sided_test": True}, "falling", 1, [2093], 19),
    ("hddm_a", {"two_sided_test": True}, "falling", 2, [2034], 6),
    ("hddm_w", {"two_sided_test": True}, "falling", 0, [1324, 1839, 2041], 50),
    ("hddm_w", {"two_sided_test": True}, "falling", 1, [1504, 2020], 31),
    ("hddm_w", {"two_sided_test": True}, "falling", 2, [928, 1229, 2027], 47),
    ("page_hinkley", {"mode": "down", "threshold": 20.0}, "falling", 0, [2073, 3063], 0),
    ("page_hinkley", {"mode": "down", "threshold": 20.0}, "falling", 1, [1191, 2031], 0),
    ("page_hinkley", {"mode": "down", "threshold": 20.0}, "falling", 2, [929, 2051], 0),
]

# KSWIN draws at random, so only a stream where the draw cannot matter is comparable:
# the older part of the window is constant when each change arrives.
KSWIN_STEPS = [0.0] * 150 + [1.0] * 30 + [0.0] * 150 + [5.0] * 30
KSWIN_RIVER = [163, 343]


@pytest.mark.parametrize(("name", "params", "kind", "seed", "drifts", "warnings"), RIVER)
def test_detections_match_river(name, params, kind, seed, drifts, warnings):
    values = STREAMS[kind](seed)
    assert stream.create(name, **params).update_many(values).tolist() == drifts
    detector = stream.create(name, **params)
    if not stream.get(name).has_warning:
        assert warnings == 0
        return
    warned = 0
    for value in values.tolist():
        detector.update(value)
        warned += bool(getattr(detector, "warning_detected", False))
    assert warned == warnings


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_kswin_matches_river_where_the_draw_cannot_matter(seed):
    assert stream.KSWIN(seed=seed).update_many(KSWIN_STEPS).tolist() == KSWIN_RIVER
    assert item_by_item(stream.KSWIN(seed=seed), KSWIN_STEPS) == KSWIN_RIVER


# ADWIN keeps River's arithmetic to the bit: the window after the drop of old buckets.
ADWIN_WINDOWS = [
    ("bernoulli", 0, [(2047, 320, 60.0, 48.74999999999997)]),
    ("bernoulli", 1, [(2079, 256, 51.0, 40.83984375000024)]),
    ("gaussian", 0, [(2047, 96, 45.51587825127958, 127.39789019038875)]),
    ("gaussian", 1, [(2047, 128, 65.25555965052305, 136.76798391051173)]),
]


@pytest.mark.parametrize(("kind", "seed", "expected"), ADWIN_WINDOWS)
def test_adwin_window_after_a_drift_matches_river(kind, seed, expected):
    detector, seen = stream.ADWIN(), []
    for i, value in enumerate(STREAMS[kind](seed).tolist()):
        detector.update(value)
        if detector.drift_detected:
            seen.append((i, detector.width, detector.total, detector.variance))
    assert seen == expected
