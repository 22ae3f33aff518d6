"""Edge cases give a finding with a verdict and a reason (or a Steward error), never a raw
NumPy or scikit-learn traceback; every number in a finding is JSON-safe."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pytest
from multivariate_helpers import normals, profiles
from pydantic import ValidationError

from steward._exceptions import UnknownColumn
from steward.checks.multivariate import REGISTRY, MultivariatePolicy, check_multivariate
from steward.findings import Finding, Verdict
from steward.profile import ProfileConfig, profile
from steward.schema import infer_schema

CHECKS = ["drift.pca_reconstruction", "drift.domain_classifier"]


def _run(reference, current, policy=None, schema=None):
    ref, cur = profiles(reference, current, schema)
    policy = policy or MultivariatePolicy(checks=tuple(REGISTRY))  # every registered check
    findings = check_multivariate(ref, cur, window=4, policy=policy)
    for finding in findings:
        data = json.loads(json.dumps(finding.to_dict(), allow_nan=False))
        assert Finding.from_dict(data).verdict is finding.verdict
        assert finding.window == 4 and finding.column is None
    return {f.check: f for f in findings}


def test_both_checks_are_registered_and_run_in_policy_order():
    assert set(REGISTRY) == {"pca_reconstruction", "domain_classifier"}
    rng = np.random.default_rng(1)
    found = _run(normals(rng, 300), normals(rng, 300), MultivariatePolicy())
    assert list(found) == CHECKS


def test_one_feature_is_too_few_for_pca_but_fine_for_the_classifier():
    rng = np.random.default_rng(2)
    found = _run(normals(rng, 500, 1), normals(rng, 500, 1, {"x0": 1.0}))
    pca = found["drift.pca_reconstruction"]
    assert pca.verdict is Verdict.UNRELIABLE
    assert "at least two encoded features" in pca.message
    assert found["drift.domain_classifier"].verdict is Verdict.FAIL


def test_all_categorical_columns():
    rng = np.random.default_rng(3)

    def table(p):
        return pa.table(
            {"a": rng.choice(["x", "y", "z"], 800, p=p), "b": rng.choice(["u", "v"], 800)}
        )

    same = _run(table([0.5, 0.3, 0.2]), table([0.5, 0.3, 0.2]))
    assert all(f.verdict is Verdict.OK for f in same.values())
    shifted = _run(table([0.5, 0.3, 0.2]), table([0.2, 0.3, 0.5]))
    classifier = shifted["drift.domain_classifier"]
    assert classifier.verdict is Verdict.FAIL
    assert classifier.details["top_features"][0]["column"] == "a"


def test_a_constant_reference_column_that_starts_to_vary_is_seen():
    rng = np.random.default_rng(4)
    reference = normals(rng, 600, 3).append_column("k", pa.array(np.ones(600)))
    steady = normals(rng, 600, 3).append_column("k", pa.array(np.ones(600)))
    varying = normals(rng, 600, 3).append_column("k", pa.array(rng.normal(1, 1, 600)))
    assert all(f.verdict is Verdict.OK for f in _run(reference, steady).values())
    found = _run(reference, varying)
    assert found["drift.pca_reconstruction"].verdict is Verdict.FAIL
    assert found["drift.domain_classifier"].details["top_features"][0]["column"] == "k"


def test_every_column_constant():
    table = pa.table({"a": np.zeros(100), "b": np.ones(100)})
    found = _run(table, table)
    assert found["drift.pca_reconstruction"].verdict is Verdict.UNRELIABLE
    assert "constant" in found["drift.pca_reconstruction"].message
    classifier = found["drift.domain_classifier"]
    assert classifier.verdict is Verdict.OK and classifier.p_value == pytest.approx(0.5, abs=0.01)


def test_an_all_missing_column_is_encoded_as_its_missing_indicator():
    rng = np.random.default_rng(5)

    def table(filled):
        values = pa.array(rng.normal(size=400) if filled else [None] * 400, pa.float64())
        return normals(rng, 400, 2).append_column("m", values)

    schema = infer_schema(table(True))
    same = _run(table(False), table(False), schema=schema)
    assert all(f.verdict in (Verdict.OK, Verdict.WARN) for f in same.values())
    assert "m" in same["drift.pca_reconstruction"].details["columns"]
    filled = _run(table(False), table(True), schema=schema)
    assert filled["drift.domain_classifier"].verdict is Verdict.FAIL
    assert filled["drift.domain_classifier"].details["top_features"][0]["column"] == "m"


def test_missing_values_and_booleans_mixed_in():
    rng = np.random.default_rng(6)

    def table():
        x = rng.normal(size=500)
        x[rng.random(500) < 0.2] = np.nan
        return pa.table(
            {
                "x": pa.array(x, from_pandas=True),
                "flag": rng.random(500) < 0.3,
                "z": rng.normal(size=500),
            }
        )

    found = _run(table(), table())
    assert all(f.verdict is not Verdict.FAIL for f in found.values())
    assert found["drift.pca_reconstruction"].details["encoded_features"] == 4  # x, x=missing


@pytest.mark.parametrize("ref_rows, cur_rows", [(10, 300), (300, 12), (39, 300)])
def test_tiny_samples_are_unreliable_with_a_reason(ref_rows, cur_rows):
    rng = np.random.default_rng(7)
    found = _run(normals(rng, ref_rows), normals(rng, cur_rows))
    pca = found["drift.pca_reconstruction"]
    assert pca.verdict is Verdict.UNRELIABLE and "rows" in pca.details["reason"]
    if min(ref_rows, cur_rows) < 20:
        classifier = found["drift.domain_classifier"]
        assert classifier.verdict is Verdict.UNRELIABLE
        assert "needs 20 on each side" in classifier.details["reason"]


def test_no_usable_feature_columns():
    text = pa.table({"note": [f"a long free text note number {i} with words" for i in range(60)]})
    found = _run(text, text)
    assert all(f.verdict is Verdict.UNRELIABLE for f in found.values())
    assert "no numeric, categorical or boolean feature" in found[CHECKS[0]].message


def test_empty_current_window():
    rng = np.random.default_rng(8)
    reference = normals(rng, 200)
    found = _run(reference, reference.slice(0, 0))
    assert all("current sample has no rows" in f.message for f in found.values())


def test_policy_picks_checks_and_columns():
    rng = np.random.default_rng(9)
    policy = MultivariatePolicy(checks=("domain_classifier",), columns=("x0", "x1"))
    found = _run(normals(rng, 300), normals(rng, 300, shift={"x3": 2.0}), policy)
    assert list(found) == ["drift.domain_classifier"]
    assert found["drift.domain_classifier"].details["columns"] == ["x0", "x1"]
    assert found["drift.domain_classifier"].verdict is Verdict.OK  # x3 is not looked at


def test_the_policy_round_trips_as_plain_data():
    policy = MultivariatePolicy(checks=("domain_classifier",), columns=("a",), alpha=0.05)
    assert MultivariatePolicy.model_validate_json(policy.model_dump_json()) == policy


def test_policy_errors_name_what_is_wrong():
    with pytest.raises(ValidationError, match="registered"):
        MultivariatePolicy(checks=("nope",))
    rng = np.random.default_rng(10)
    with pytest.raises(UnknownColumn, match="nope"):
        _run(normals(rng, 50), normals(rng, 50), MultivariatePolicy(columns=("nope",)))


def test_a_sample_that_does_not_stand_for_its_rows_is_unreliable_not_trusted():
    # a profile whose row sample was drawn from other rows than its counts (e.g. a damaged
    # or hand-assembled profile) must not be trusted by the sample-based checks
    import dataclasses

    rng = np.random.default_rng(11)
    config = ProfileConfig(reservoir=1000)

    def table(p, rows=20_000):
        return pa.table(
            {
                "a": rng.choice(["x", "y", "z"], rows, p=p),
                "n": rng.integers(0, 3, rows).astype(float),
            }
        )

    reference = profile(table([0.5, 0.3, 0.2]), config=config)
    current = profile(table([0.2, 0.3, 0.5]), reference=reference)
    skewed = profile(table([1.0, 0.0, 0.0], 2_000), reference=reference)
    current = dataclasses.replace(current, reservoir=skewed.reservoir)
    for finding in check_multivariate(reference, current):
        assert finding.verdict is Verdict.UNRELIABLE
        assert "does not stand for its 20000 rows" in finding.message


def test_a_fair_sample_of_many_rows_is_trusted():
    rng = np.random.default_rng(12)
    config = ProfileConfig(reservoir=1000)
    reference = profile(normals(rng, 20_000, 3), config=config)
    current = profile(normals(rng, 20_000, 3, {"x1": 1.0}), reference=reference)
    found = {f.check: f for f in check_multivariate(reference, current)}
    assert found["drift.domain_classifier"].verdict is Verdict.FAIL
