"""Window profiles from logged predictions: the layout, and one function for service and monitor."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from steward.monitor.window_profiles import output_layout, profile_rows, window_table
from steward.profile import profile
from steward.schema import infer_schema


@pytest.fixture(scope="module")
def fitted():
    rng = np.random.default_rng(0)
    ref = pd.DataFrame({"x": rng.normal(size=500), "c": rng.choice(["a", "b", "c"], 500)})
    ref["y"] = (ref.x + rng.normal(0, 0.5, 500) > 0).astype(int)
    schema = infer_schema(ref, target="y")
    reference = profile(ref, schema)
    model = LogisticRegression().fit(ref[["x"]], ref.y)
    return ref, schema, reference, model


def _rows(frame: pd.DataFrame, model) -> list[dict]:
    outputs = model.predict(frame[["x"]]).tolist()
    scores = model.predict_proba(frame[["x"]]).tolist()
    return [
        {
            "inputs": {"x": float(frame.x.iloc[i]), "c": str(frame.c.iloc[i])},
            "output": outputs[i],
            "scores": scores[i],
            "row_id": f"r{i}",
        }
        for i in range(len(frame))
    ]


def test_layout_adds_prediction_and_positive_score(fitted) -> None:
    _, schema, reference, _ = fitted
    layout = output_layout(schema, [0, 1], reference)
    assert layout.schema.names == ["x", "c", "prediction", "score"]
    assert layout.labelled.names == ["x", "c", "prediction", "score", "y"]
    assert layout.score_index == (1,)
    multi = output_layout(schema, ["a", "b", "c"])
    assert multi.scores == ("score_a", "score_b", "score_c")
    regression = output_layout(
        infer_schema(pd.DataFrame({"x": [1.0, 2.0], "y": [0.5, 1.5]}), target="y"), None
    )
    assert (regression.scores, regression.schema["prediction"].kind.value) == ((), "numeric")


def test_rows_become_the_layouts_table(fitted) -> None:
    ref, schema, reference, model = fitted
    frame = ref.iloc[:50]
    layout = output_layout(schema, [0, 1], reference)
    table = window_table(_rows(frame, model), layout, labels={"r0": 1, "r3": 0})
    np.testing.assert_allclose(table["x"].to_numpy(), frame.x.to_numpy())
    np.testing.assert_allclose(table["score"].to_numpy(), model.predict_proba(frame[["x"]])[:, 1])
    assert table["prediction"].to_pylist() == model.predict(frame[["x"]]).tolist()
    assert table["y"].to_pylist()[:4] == [1, None, None, 0]


def test_batch_profiles_merge_into_the_whole_windows_profile(fitted) -> None:
    ref, schema, reference, model = fitted
    rows = _rows(ref.iloc[:300], model)
    whole = profile_rows(rows, schema, reference, [0, 1])
    merged = profile_rows(rows[:120], schema, reference, [0, 1]).merge(
        profile_rows(rows[120:], schema, reference, [0, 1])
    )
    assert merged.rows == whole.rows == 300
    for name in ("x", "prediction", "score"):
        assert merged.columns[name].to_dict()["counts"] == whole.columns[name].to_dict()["counts"]
    assert merged.columns["c"].counts == whole.columns["c"].counts
    # the features are profiled exactly as ``profile`` profiles the same rows
    direct = profile(ref.iloc[:300][["x", "c"]], reference=reference, schema=_features(schema))
    assert _exact(whole.columns["x"]) == _exact(direct.columns["x"])


def _exact(column) -> dict:
    """A column profile without its quantile sketch (KLL compacts at random)."""
    return {k: v for k, v in column.to_dict().items() if k != "kll"}


def _features(schema):
    from steward.schema import Schema

    return Schema(columns=tuple(c for c in schema if c.name in ("x", "c")))


def test_a_laid_out_table_profiles_like_its_rows(fitted) -> None:
    ref, schema, reference, model = fitted
    rows = _rows(ref.iloc[:100], model)
    layout = output_layout(schema, [0, 1], reference)
    from_rows = profile_rows(rows, schema, reference, [0, 1])
    from_table = profile_rows(window_table(rows, layout), schema, reference, [0, 1])
    assert {n: _exact(c) for n, c in from_rows.columns.items()} == {
        n: _exact(c) for n, c in from_table.columns.items()
    }
