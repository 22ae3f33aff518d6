"""Why did it change: drift × importance ranks the drifted feature the model uses first."""

from __future__ import annotations

import sys
import types

import numpy as np
import pyarrow as pa
import pytest

from steward._exceptions import CheckError
from steward.checks.segments import explain_change
from steward.findings import Finding, Verdict
from steward.schema import infer_schema

ROWS = 2_000


def _side(rng: np.random.Generator, shift: float) -> pa.Table:
    """``used`` and ``unused`` drift by the same amount; the score leans on ``used`` and ``c``."""
    used = rng.normal(shift, 1, ROWS)
    unused = rng.normal(shift, 1, ROWS)
    c = rng.normal(0, 1, ROWS)
    score = 1 / (1 + np.exp(-(2 * used + 2 * c)))
    return pa.table(
        {
            "used": used,
            "unused": unused,
            "c": c,
            "region": rng.choice(["n", "s"], ROWS),
            "score": score,
            "target": (rng.random(ROWS) < score).astype(np.int64),
        }
    )


@pytest.fixture(scope="module")
def sides():
    rng = np.random.default_rng(0)
    reference, current = _side(rng, 0.0), _side(rng, 0.6)
    schema = infer_schema(reference, score="score", target="target", segment="region")
    return reference, current, schema


@pytest.fixture(scope="module")
def explained(sides):
    return explain_change(*sides)


def _ranks(findings: list[Finding]) -> dict[str, int]:
    return {f.column: f.details["rank"] for f in findings if f.check == "segment.driver"}


def test_surrogate_ranks_the_drifted_important_feature_first(explained):
    findings = explained
    ranks = _ranks(findings)
    assert ranks["used"] == 1 < ranks["unused"]
    first = findings[0]
    assert first.check == "segment.driver" and first.column == "used"
    assert first.details["importance_source"] == "surrogate"
    assert (
        "surrogate" in first.details["importance_note"]
        and "'score'" in first.details["importance_note"]
    )
    assert first.details["drift_verdict"] == "fail" and first.verdict is Verdict.FAIL
    unused = next(f for f in findings if f.column == "unused")
    assert unused.details["drift_verdict"] == "fail" and unused.verdict is Verdict.OK
    assert unused.details["importance"] < 0.05 < first.details["importance"]


def test_domain_classifier_names_the_drifted_features(explained):
    domain = explained[-1]
    assert domain.check == "segment.domain" and domain.verdict is Verdict.FAIL
    assert domain.statistic > 0.6 and domain.p_value < 1e-6
    top_two = {f["feature"] for f in domain.details["features"][:2]}
    assert top_two == {"used", "unused"}


def test_supplied_importance_is_used_as_given(sides):
    reference, current, schema = sides
    findings = explain_change(
        reference, current, schema, importance={"used": 0.1, "unused": 0.9}, domain=False
    )
    assert [f.column for f in findings][:2] == ["unused", "used"]
    assert findings[0].details["importance"] == pytest.approx(0.9)
    assert findings[0].details["importance_source"] == "supplied"
    assert all(f.check == "segment.driver" for f in findings)


def test_permutation_importance_of_a_model(sides):
    from sklearn.linear_model import LogisticRegression

    reference, current, schema = sides
    names = ["used", "unused", "c"]
    frame = reference.select(names).to_pandas()
    model = LogisticRegression().fit(frame, reference.column("target").to_numpy())
    narrowed = schema.override(region={"role": "ignored"})
    findings = explain_change(reference, current, narrowed, model=model, domain=False)
    assert findings[0].column == "used"
    assert findings[0].details["importance_source"] == "permutation"


def test_a_model_that_cannot_read_the_features_is_a_clear_error(sides):
    reference, current, schema = sides

    class Broken:
        def predict(self, x):
            raise TypeError("wants a NumPy array")

    with pytest.raises(CheckError, match="could not predict"):
        explain_change(reference, current, schema, model=Broken(), domain=False)


def test_given_drift_findings_are_used(sides):
    reference, current, schema = sides

    def drift(column: str, effect: float) -> Finding:
        return Finding(
            "drift.ks",
            column,
            0.1,
            Verdict.FAIL,
            threshold=0.1,
            effect_size=effect,
            details={"mode": "default", "effect_test": "wasserstein"},
        )

    given = [drift("used", 0.0), drift("unused", 0.5), drift("c", 0.5)]
    findings = explain_change(
        reference,
        current,
        schema,
        importance={"used": 1, "unused": 1, "c": 1},
        drift_findings=given,
        domain=False,
    )
    assert findings[-1].column == "used" and findings[-1].details["drift_effect"] == 0.0
    assert findings[0].details["drift_relevance"] == pytest.approx(5.0)


def test_shap_is_skipped_without_the_package(sides, monkeypatch):
    reference, current, schema = sides
    monkeypatch.setitem(sys.modules, "shap", None)  # import shap raises ImportError
    findings = explain_change(
        reference, current, schema, model=_Constant(), importance={"used": 1}, domain=False
    )
    assert all("shap" not in f.details for f in findings)


def test_shap_summaries_per_segment_when_the_package_is_there(sides, monkeypatch):
    reference, current, schema = sides
    fake = types.ModuleType("shap")

    class Explainer:
        def __init__(self, predict, background):
            self.columns = list(background.columns)

        def __call__(self, frame):
            values = np.tile(np.arange(1, len(self.columns) + 1, dtype=float), (len(frame), 1))
            return types.SimpleNamespace(values=-values)

    fake.Explainer = Explainer
    monkeypatch.setitem(sys.modules, "shap", fake)
    findings = explain_change(
        reference, current, schema, model=_Constant(), importance={"used": 1}, domain=False
    )
    unused = next(f for f in findings if f.column == "unused")
    assert unused.details["shap"] == {"(all rows)": 2.0, "region == 'n'": 2.0, "region == 's'": 2.0}


class _Constant:
    def predict(self, x):
        return np.zeros(len(x))


def test_no_features_is_a_clear_error():
    table = pa.table({"score": [0.1, 0.9], "target": [0, 1]})
    schema = infer_schema(table, score="score", target="target")
    with pytest.raises(CheckError, match="no feature columns"):
        explain_change(table, table, schema)


def test_tiny_windows_fall_back_to_uniform_importance():
    table = pa.table({"x": [0.1, 0.5, 0.9], "y": ["a", "b", "a"]})
    findings = explain_change(table, table, infer_schema(table))
    assert {f.details["importance_source"] for f in findings} == {"uniform"}
    assert all(f.check == "segment.driver" for f in findings)


def test_a_failing_shap_warns_and_is_left_out(sides, monkeypatch):
    reference, current, schema = sides
    fake = types.ModuleType("shap")

    def explainer(predict, background):
        raise ValueError("cannot explain strings")

    fake.Explainer = explainer
    monkeypatch.setitem(sys.modules, "shap", fake)
    with pytest.warns(UserWarning, match="SHAP summaries skipped: ValueError"):
        findings = explain_change(
            reference, current, schema, model=_Constant(), importance={"used": 1}, domain=False
        )
    assert all("shap" not in f.details for f in findings)
