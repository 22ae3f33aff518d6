"""Every registered detector, through one edge-case matrix (scikit-learn's common tests)."""

from __future__ import annotations

import importlib
import json
import pkgutil

import numpy as np
import pytest
from stream_helpers import DEFAULTS, alternating, make, sample_stream

import steward.stream
from steward import stream
from steward._exceptions import InputError, UnknownCheck

NAMES = sorted(stream.REGISTRY)
BINARY = [n for n in NAMES if stream.get(n).input == "binary"]


def test_every_detector_module_is_registered():
    modules = {m.name for m in pkgutil.iter_modules(steward.stream.__path__)}
    detectors = {m for m in modules if not m.startswith("_")}
    registered = {info.cls.__module__.rsplit(".", 1)[1] for info in stream.REGISTRY.values()}
    assert detectors == registered
    for module in detectors:
        importlib.import_module(f"steward.stream.{module}")
    assert set(stream.REGISTRY) == {
        "adwin", "ddm", "eddm", "hddm_a", "hddm_w", "kswin", "page_hinkley", "cusum", "ewma"
    }  # fmt: skip


@pytest.mark.parametrize("name", NAMES)
def test_descriptor(name):
    info = stream.get(name)
    assert info.name == name and info.cls.info is info
    assert info.check_name == f"stream.{name}"
    assert info.input in ("binary", "real")
    detector = stream.create(name)
    assert hasattr(detector, "warning_detected") == info.has_warning
    with pytest.raises(AttributeError):
        detector.drift_detected = True
    assert dataclass_is_frozen(info)


def dataclass_is_frozen(info) -> bool:
    try:
        info.name = "other"
    except AttributeError:
        return True
    return False


def test_unknown_detector_is_a_clear_error():
    with pytest.raises(UnknownCheck, match="registered"):
        stream.create("adwim")


@pytest.mark.parametrize("name", NAMES)
def test_empty_input_changes_nothing(name):
    detector = make(name)
    before = detector.to_dict()
    assert detector.update_many([]).tolist() == []
    assert detector.update_many(np.zeros(0)).dtype == np.int64
    assert detector.to_dict() == before
    assert detector.drift_detected is False


@pytest.mark.parametrize("name", NAMES)
def test_one_item(name):
    one, many = make(name), make(name)
    assert one.update(1.0) is one
    assert many.update_many([1.0]).tolist() == []
    assert one.to_dict() == many.to_dict()
    assert not one.drift_detected


@pytest.mark.parametrize("value", [0.0, 1.0])
@pytest.mark.parametrize("name", NAMES)
def test_constant_stream_never_drifts(name, value):
    detector = make(name)
    assert detector.update_many(np.full(20_000, value)).tolist() == []
    assert not getattr(detector, "warning_detected", False)


@pytest.mark.parametrize("name", sorted(set(NAMES) - set(BINARY)))
def test_constant_real_stream_never_drifts(name):
    assert make(name).update_many(np.full(20_000, 0.1)).tolist() == []
    assert make(name).update_many(np.full(5_000, -7.3)).tolist() == []


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("name", NAMES)
def test_non_finite_input_is_an_input_error(name, bad):
    detector = make(name)
    detector.update_many(sample_stream(name, 0, 300))
    before = detector.to_dict()
    values = np.zeros(10)
    values[7] = bad
    with pytest.raises(InputError, match="index 7"):
        detector.update_many(values)
    with pytest.raises(InputError, match="finite"):
        detector.update(bad)
    assert detector.to_dict() == before  # nothing was taken


@pytest.mark.parametrize("bad", [0.5, 2.0, -1.0])
@pytest.mark.parametrize("name", BINARY)
def test_binary_detectors_reject_other_values(name, bad):
    detector = make(name)
    with pytest.raises(InputError, match="binary"):
        detector.update(bad)
    with pytest.raises(InputError, match="index 2"):
        detector.update_many([0.0, 1.0, bad])
    assert detector.update_many([True, False, 1, 0]).tolist() == []  # booleans and ints are fine


@pytest.mark.parametrize("name", NAMES)
def test_wrong_shapes_and_types_are_input_errors(name):
    detector = make(name)
    for bad in ("0101", [[0.0, 1.0]], np.zeros((2, 2)), 1.0, ["a", "b"], [None]):
        with pytest.raises(InputError):
            detector.update_many(bad)
    for bad in ("1", None, [1.0], object()):
        with pytest.raises(InputError):
            detector.update(bad)


@pytest.mark.parametrize("name", NAMES)
def test_save_and_load_round_trip(name):
    values = alternating(name, 3, 3000)
    original = make(name)
    original.update_many(values[:1700])
    saved = json.loads(json.dumps(original.to_dict()))
    restored = stream.Detector.from_dict(saved)
    assert type(restored) is type(original)
    assert restored.get_params() == original.get_params()
    assert restored.to_dict() == original.to_dict()
    assert (
        restored.update_many(values[1700:]).tolist() == original.update_many(values[1700:]).tolist()
    )
    assert restored.to_dict() == original.to_dict()
    with pytest.raises(InputError):
        stream.CUSUM.from_dict(saved) if name != "cusum" else stream.DDM.from_dict(saved)


@pytest.mark.parametrize("name", NAMES)
def test_params_clone_and_repr(name):
    detector = make(name)
    params = detector.get_params()
    assert params == {**stream.create(name).get_params(), **DEFAULTS[name]}
    twin = detector.clone()
    assert twin.get_params() == params and twin is not detector
    assert type(detector).__name__ in repr(detector)


@pytest.mark.parametrize("name", NAMES)
def test_deterministic(name):
    values = alternating(name, 4, 4000)
    first, second = make(name), make(name)
    assert first.update_many(values).tolist() == second.update_many(values).tolist()
    assert first.to_dict() == second.to_dict()


@pytest.mark.parametrize("name", NAMES)
def test_reset_restores_the_fresh_state(name):
    fresh = make(name).to_dict()
    detector = make(name)
    detector.update_many(alternating(name, 5, 2000))
    detector._reset()
    assert detector.to_dict() == fresh


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("adwin", {"delta": 0}),
        ("adwin", {"max_buckets": 1}),
        ("cusum", {"threshold": -1}),
        ("cusum", {"warm_start": 1}),
        ("ddm", {"drift_threshold": 0}),
        ("eddm", {"alpha": 0.8, "beta": 0.9}),
        ("ewma", {"lambda_val": 1.0}),
        ("hddm_a", {"drift_confidence": 1.5}),
        ("hddm_w", {"lambda_val": 0}),
        ("kswin", {"stat_size": 60}),
        ("page_hinkley", {"mode": "sideways"}),
        ("page_hinkley", {"alpha": 0}),
    ],
)
def test_bad_parameters_are_input_errors(name, params):
    with pytest.raises(InputError, match=name):
        stream.create(name, **params)
