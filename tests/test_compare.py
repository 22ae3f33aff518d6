"""compare(): the library entry point, end to end on real tables."""

import json
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

import steward
from steward import Verdict


def _frame(rng, rows, income_shift=0.0, region_p=(0.5, 0.3, 0.2), start=datetime(2026, 1, 5)):
    return pd.DataFrame(
        {
            "ts": [start + timedelta(minutes=10 * i) for i in range(rows)],
            "age": rng.integers(18, 90, rows),
            "income": rng.lognormal(10 + income_shift, 0.4, rows),
            "region": rng.choice(["n", "s", "e"], rows, p=list(region_p)),
            "member": rng.random(rows) < 0.3,
        }
    )


@pytest.fixture(scope="module")
def reference():
    return _frame(np.random.default_rng(0), 20_000)


def test_drifted_columns_are_named(reference):
    current = _frame(np.random.default_rng(1), 5_000, income_shift=0.3, region_p=(0.3, 0.3, 0.4))
    report = steward.compare(reference, current)
    assert report.summary["drifted_columns"] == ["income", "region"]
    assert report.summary["drift_share"] == 0.5  # age, income, region, member
    assert report.summary["dataset_drift"] is True  # at the default share of one half
    data = report.to_dict()
    assert data["schema_version"] == "1.0"
    assert {f["check"] for f in data["findings"] if f["column"] == "income"} >= {"drift.ks"}
    json.dumps(data, allow_nan=False)


def test_pandas_polars_and_arrow_give_the_same_findings(reference):
    current = _frame(np.random.default_rng(2), 3_000, income_shift=0.2)
    expected = steward.compare(reference, current).to_dict()["findings"]
    for convert in (pl.from_pandas, pa.Table.from_pandas):
        got = steward.compare(convert(reference), convert(current)).to_dict()["findings"]
        assert [(f["check"], f["column"], f["verdict"]) for f in got] == [
            (f["check"], f["column"], f["verdict"]) for f in expected
        ]


def test_stored_reference_profile_gives_the_same_report(reference, tmp_path):
    current = _frame(np.random.default_rng(3), 3_000, income_shift=0.3)
    direct = steward.compare(reference, current)
    stored = steward.Profile.from_bytes(direct.reference.to_bytes())
    again = steward.compare(stored, current)
    assert again.summary == direct.summary


def test_windows_classify_sustained_and_transient(reference):
    rng = np.random.default_rng(4)
    weeks = []
    for week in range(8):
        shift = 0.5 if week >= 4 else 0.0
        region = (0.2, 0.2, 0.6) if week == 1 else (0.5, 0.3, 0.2)
        start = datetime(2026, 3, 2) + timedelta(weeks=week)
        part = _frame(rng, 1_008, income_shift=shift, region_p=region, start=start)
        weeks.append(part)
    current = pd.concat(weeks, ignore_index=True)
    report = steward.compare(reference, current, timestamp="ts", window="1W")
    summary = report.summary
    assert summary["windows"] == 8
    assert "income" in summary["sustained"]
    assert "region" in summary["transient"]
    assert "income" in summary["drifted_columns"]
    windowed = [
        f
        for f in report.findings
        if f.column == "income" and f.family == "drift" and f.window is not None
    ]
    assert [f.verdict is Verdict.FAIL for f in windowed] == [False] * 4 + [True] * 4
    assert report.windows[0].start == "2026-03-02T00:00:00"


def test_count_windows(reference):
    current = _frame(np.random.default_rng(5), 4_000)
    report = steward.compare(reference, current, window=1_000)
    assert [w.rows for w in report.windows] == [1_000] * 4
    assert report.current.rows == 4_000  # merged from the window profiles


def test_injected_quality_problems_are_findings(reference):
    current = _frame(np.random.default_rng(6), 2_000)
    current.loc[:199, "age"] = np.nan
    current = pd.concat([current, current.iloc[:50]], ignore_index=True)
    current = current.drop(columns=["member"])
    report = steward.compare(reference, current)
    problems = {(f.check, f.column) for f in report.findings if f.family == "quality" and f.failed}
    assert ("quality.missing_rate", "age") in problems
    assert any(check == "quality.duplicate_rows" for check, _ in problems)
    assert any(check == "quality.missing_columns" for check, _ in problems)


def test_plan_forces_a_test_and_expectations(reference, tmp_path):
    plan = tmp_path / "plan.yaml"
    plan.write_text(
        "drift:\n  columns:\n    age: {test: psi, threshold: 0.0}\n"
        "expectations:\n  - income >= 0\n  - age between 18 and 89\n"
    )
    current = _frame(np.random.default_rng(7), 2_000)
    report = steward.compare(reference, current, plan=plan)
    age = next(f for f in report.drift_findings() if f.column == "age")
    assert age.check == "drift.psi" and age.verdict is Verdict.FAIL
    expectations = [f for f in report.findings if f.check == "quality.expectation"]
    assert len(expectations) == 2
    assert all(f.verdict is Verdict.OK for f in expectations)


def test_bad_input_is_a_clear_error(reference, tmp_path):
    with pytest.raises(steward.InputError, match="file not found"):
        steward.compare(reference, tmp_path / "missing.csv")
    with pytest.raises(steward.EmptyInput):
        steward.compare(reference, reference.iloc[:0])
    with pytest.raises(steward.UnknownColumn, match="nope"):
        steward.compare(reference, reference, target="nope")
    with pytest.raises(steward.PlanError):
        steward.compare(reference, reference, plan={"drift": {"fdr": 7}})


def test_html_and_json_are_written(reference, tmp_path):
    current = _frame(np.random.default_rng(8), 1_000, income_shift=0.4)
    report = steward.compare(reference, current)
    report.to_json(tmp_path / "r.json")
    report.to_html(tmp_path / "r.html")
    assert json.loads((tmp_path / "r.json").read_text())["summary"]["drifted_columns"] == ["income"]
    assert "income" in (tmp_path / "r.html").read_text()
