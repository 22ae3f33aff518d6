"""Every registered metric over an edge-case matrix.

On every case, :func:`check_performance` returns JSON-ready, deterministic findings that
survive a profile save/load round trip, with bands around their values, and never a NumPy
warning. Every registered metric must show up in at least one case, so a new metric cannot
be registered without one.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pytest
from performance_helpers import (
    binary_schema,
    binary_table,
    multiclass_schema,
    multiclass_table,
    regression_schema,
    regression_table,
    with_missing_labels,
)

from steward.checks.performance import REGISTRY, check_performance
from steward.findings import Finding
from steward.profile import Profile, profile
from steward.schema import Schema, infer_schema


@dataclass(frozen=True)
class Case:
    reference: pa.Table
    current: pa.Table
    schema: Schema

    def profiles(self) -> tuple[Profile, Profile]:
        ref = profile(self.reference, self.schema)
        return ref, profile(self.current, self.schema, reference=ref)


def _replace(table: pa.Table, name: str, values) -> pa.Table:
    typed = pa.array(values, type=table.column(name).type)
    return table.set_column(table.column_names.index(name), name, typed)


def _binary(current: pa.Table) -> Case:
    return Case(binary_table(600), current, binary_schema())


def _regression(current: pa.Table) -> Case:
    return Case(regression_table(600), current, regression_schema())


def _many_classes(n: int, classes: int, seed: int) -> pa.Table:
    rng = np.random.default_rng(seed)
    labels = [f"c{i}" for i in rng.integers(0, classes, n)]
    noisy = [f"c{i}" if rng.random() < 0.7 else "c0" for i in rng.integers(0, classes, n)]
    return pa.table({"label": labels, "guess": noisy})


def _cases() -> dict[str, Case]:
    cur, n = binary_table(300, seed=1), 300
    reg = regression_table(300, seed=1)
    animals = multiclass_table(300, seed=1)
    many = _many_classes(2000, 300, 0)
    churn = pa.table({"churn": ["yes", "no", "no"] * 40, "prediction": [1, 0, 1] * 40})
    return {
        "binary": _binary(cur),
        "empty": _binary(cur.slice(0, 0)),
        "one row": _binary(cur.slice(0, 1)),
        "all labels missing": _binary(with_missing_labels(cur, "y", 1.0)),
        "some labels missing": _binary(with_missing_labels(cur, "y", 0.5)),
        "constant scores": _binary(_replace(cur, "score", [0.5] * n)),
        "nan scores": _binary(_replace(cur, "score", [math.nan] * n)),
        "scores outside [0, 1]": _binary(_replace(cur, "score", [math.inf, -0.5, 1.5] * 100)),
        "one class only": _binary(_replace(cur, "y", [1] * n)),
        "reference of one class": Case(
            _replace(binary_table(300), "y", [0] * 300), cur, binary_schema()
        ),
        "unseen labels": _binary(_replace(cur, "y", [7] * n)),
        "string labels": Case(multiclass_table(600), animals, multiclass_schema()),
        "unseen string labels": Case(
            multiclass_table(600), _replace(animals, "animal", ["fish"] * 300), multiclass_schema()
        ),
        "huge cardinality": Case(
            many, _many_classes(500, 300, 1), infer_schema(many, target="label", prediction="guess")
        ),
        "boolean strings": Case(churn, churn, infer_schema(churn, target="churn")),
        "regression": _regression(reg),
        "regression, one row": _regression(reg.slice(0, 1)),
        "regression, empty": _regression(reg.slice(0, 0)),
        "regression, constant target": _regression(_replace(reg, "target", [3.0] * 300)),
        "regression, zero targets": _regression(_replace(reg, "target", [0.0] * 300)),
        "regression, nan predictions": _regression(_replace(reg, "prediction", [math.nan] * 300)),
        "regression, huge values": _regression(_replace(reg, "prediction", [1e70] * 300)),
        "regression, no labels": _regression(with_missing_labels(reg, "target", 1.0)),
    }


CASES = _cases()


def _run(case: Case) -> list[Finding]:
    return check_performance(*case.profiles(), window=0)


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("name", list(CASES))
def test_findings_are_well_formed(name):
    found = _run(CASES[name])
    assert found[0].check == "performance.label_coverage"
    for f in found:
        assert f.check == "performance.label_coverage" or f.check.split(".")[1] in REGISTRY
        assert f.statistic is not None and math.isfinite(f.statistic), f
        if f.lower is not None:
            assert f.lower <= f.statistic <= f.upper, f
        json.dumps(f.to_dict(), allow_nan=False)


@pytest.mark.parametrize("name", list(CASES))
def test_findings_are_deterministic_and_survive_bytes(name):
    case = CASES[name]
    ref, cur = case.profiles()
    expected = [f.to_dict() for f in check_performance(ref, cur, window=0)]
    assert [f.to_dict() for f in _run(case)] == expected
    ref, cur = (Profile.from_bytes(p.to_bytes()) for p in (ref, cur))
    assert [f.to_dict() for f in check_performance(ref, cur, window=0)] == expected


def test_every_registered_metric_has_a_case():
    seen = {f.check.split(".")[1] for case in CASES.values() for f in _run(case)}
    assert set(REGISTRY) <= seen


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("empty", set()),
        ("all labels missing", set()),
        ("nan scores", {"accuracy", "precision", "recall", "f1"}),
        ("scores outside [0, 1]", {"accuracy", "precision", "recall", "f1"}),
        ("one class only", {"accuracy", "precision", "recall", "f1", "log_loss", "brier"}),
        ("unseen labels", {"accuracy", "precision", "f1"}),
        ("regression, constant target", {"mae", "rmse", "mape"}),
        ("regression, zero targets", {"mae", "rmse"}),  # and no R² of a constant target
        ("regression, nan predictions", set()),
    ],
)
def test_metrics_without_their_inputs_are_absent(name, expected):
    found = {f.check.split(".")[1] for f in _run(CASES[name])[1:]}
    assert found == expected


def test_a_handful_of_rows_gets_the_whole_range_as_band():
    found = {f.check: f for f in _run(CASES["one row"])}
    brier = found["performance.brier"]
    assert (brier.lower, brier.upper) == (0.0, 1.0)
    assert brier.verdict.value != "fail"
    assert "whole range" in brier.details["band"]


def test_excluded_rows_are_counted_in_the_details():
    accuracy = {f.check: f for f in _run(CASES["scores outside [0, 1]"])}["performance.accuracy"]
    assert accuracy.details["invalid_scores"] == 300
    unseen = {f.check: f for f in _run(CASES["unseen string labels"])}["performance.accuracy"]
    assert unseen.details["unseen_labels"] == 300
