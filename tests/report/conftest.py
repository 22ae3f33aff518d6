"""Report dicts built by hand after docs/report-schema.md, for the HTML and terminal renderers.

``report``: four columns (two numeric, one categorical, one boolean) over four windows; ``age``
drifts in windows 1–3 (sustained), ``plan`` only in window 1 (transient). ``hostile_report`` is
the same report with HTML, quotes, Rich markup and control characters in names and values.
``model_report`` adds performance, estimate, stream, segment, outlier, multivariate and skew
findings (``model_findings.py``); ``hostile_model_report`` puts hostile text in those too.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from model_findings import UNRELIABLE_REASON, model_findings, segments_clear

WINDOW_LABELS = ["2026-01-05", "2026-01-12", "2026-01-19", "2026-01-26"]

# column -> (test, effect threshold, effect size per window, verdict per window)
DRIFT = {
    "age": ("drift.ks", 0.1, [0.03, 0.21, 0.29, 0.34], ["ok", "fail", "fail", "fail"]),
    "income": ("drift.ks", 0.1, [0.02, 0.04, 0.03, 0.05], ["ok", "ok", "ok", "ok"]),
    "plan": ("drift.chi_square", 0.05, [0.01, 0.09, 0.03, 0.02], ["ok", "fail", "ok", "ok"]),
    "active": ("drift.z_test", 0.05, [0.0, 0.01, 0.02, 0.01], ["ok", "ok", "ok", "ok"]),
}

HOSTILE = {
    "name": "<script>alert(1)</script>",
    "labels": ['a "quoted" & co', "</script><!--", "<img src=x onerror=alert(1)>"],
    "window": "<b>w3</b>",
    "message": '<iframe src="https://evil.example/"></iframe>',
    "value": '"><svg onload=alert(1)>',
    "markup": "[bold red]boom[/]",
    "control": "bell\x07\x1b[31mred",
}


def histogram(edges: list[float], reference: list[float], current: list[float]) -> dict:
    return {"edges": edges, "reference": reference, "current": current}


def stats(rows: int, mean: float, std: float, low: float, high: float, distinct: int) -> dict:
    return {
        "rows": rows, "missing": 0, "mean": mean, "std": std,
        "min": low, "max": high, "distinct": distinct,
    }  # fmt: skip


def counts(rows: int, distinct: int) -> dict:
    return {"rows": rows, "missing": 0, "distinct": distinct}


def drift_finding(column: str, window: int) -> dict[str, Any]:
    check, threshold, effects, verdicts = DRIFT[column]
    drifted = verdicts[window] == "fail"
    p_value = 1.2e-9 if drifted else 0.31
    return {
        "check": check,
        "column": column,
        "window": window,
        "statistic": round(effects[window] * 0.6, 4),
        "p_value": p_value,
        "effect_size": effects[window],
        "threshold": threshold,
        "verdict": verdicts[window],
        "message": f"{column}: effect {effects[window]} vs {threshold}",
        "details": {"q_value": min(1.0, p_value * 4), "alpha": 0.05, "effect_test": "wasserstein"},
    }


def quality_findings() -> list[dict[str, Any]]:
    return [
        {
            "check": "quality.constant_column", "column": "active", "window": 3,
            "statistic": 2, "p_value": None, "effect_size": None, "threshold": 1,
            "verdict": "ok", "message": "active has 2 values", "details": {},
        },
        {
            "check": "quality.missing_rate", "column": "income", "window": 3,
            "statistic": 0.125, "p_value": None, "effect_size": None, "threshold": 0.05,
            "verdict": "warn", "message": "income missing 12.5% > 5%", "details": {},
        },
        {
            "check": "quality.unseen_categories", "column": "plan", "window": 3,
            "statistic": 3, "p_value": None, "effect_size": None, "threshold": 0,
            "verdict": "fail", "message": "plan has 3 unseen categories",
            "details": {"values": ["gold", "platinum", "x"]},
        },
    ]  # fmt: skip


def columns() -> dict[str, Any]:
    return {
        "age": {
            "kind": "numeric", "role": "feature", "drift": "sustained",
            "reference": stats(100_000, 41.2, 12.1, 18, 90, 73),
            "current": stats(25_000, 45.3, 13.4, 18, 94, 77),
            "histogram": histogram(
                [18, 25, 32, 40, 48, 57, 94], [0.17, 0.17, 0.16, 0.17, 0.17, 0.16],
                [0.1, 0.12, 0.15, 0.18, 0.2, 0.25],
            ),
        },
        "income": {
            "kind": "numeric", "role": "feature", "drift": "none",
            "reference": stats(100_000, 52_310.5, 9_000.25, 0, 250_000, 9_500),
            "current": stats(25_000, 52_990.0, 9_100.0, 0, 240_000, 8_100),
            "histogram": histogram(
                [0, 30_000, 45_000, 60_000, 250_000], [0.25, 0.25, 0.25, 0.25],
                [0.24, 0.26, 0.25, 0.25],
            ),
        },
        "plan": {
            "kind": "categorical", "role": "feature", "drift": "transient",
            "reference": counts(100_000, 3),
            "current": counts(25_000, 3),
            "categories": {
                "labels": ["basic", "pro", "(other)"], "reference": [0.5, 0.3, 0.2],
                "current": [0.45, 0.35, 0.2],
            },
        },
        "active": {
            "kind": "boolean", "role": "feature", "drift": "none",
            "reference": counts(100_000, 2),
            "current": counts(25_000, 2),
            "categories": {
                "labels": ["true", "false"], "reference": [0.7, 0.3], "current": [0.69, 0.31]
            },
        },
    }  # fmt: skip


def windows() -> list[dict[str, Any]]:
    return [
        {"index": i, "label": label, "start": f"{label}T00:00:00", "end": None, "rows": 6250}
        for i, label in enumerate(WINDOW_LABELS)
    ]


def make_report() -> dict[str, Any]:
    drift = [drift_finding(name, w) for w in range(len(WINDOW_LABELS)) for name in DRIFT]
    report = {
        "schema_version": "1.0",
        "steward_version": "0.1.0",
        "created_at": "2026-11-26T21:30:00+00:00",
        "summary": {
            "verdict": "fail", "drifted_columns": ["age"], "dataset_drift": False,
            "drift_share": 0.25, "columns_checked": 4, "quality_problems": 2, "windows": 4,
            "sustained": ["age"], "transient": ["plan"],
        },
        "reference": {"rows": 100_000},
        "current": {"rows": 25_000},
        "schema": {"columns": [
            {"name": name, "kind": column["kind"], "role": "feature", "dtype": "int64"}
            for name, column in columns().items()
        ]},
        "windows": windows(),
        "findings": drift + quality_findings(),
        "columns": columns(),
        "policy": {"alpha": 0.05, "dataset_drift_share": 0.5},
    }  # fmt: skip
    return json.loads(json.dumps(report))  # exactly what a JSON round trip gives


def unwindowed(report: dict[str, Any]) -> dict[str, Any]:
    """The last window alone, as a plain reference-vs-current comparison."""
    report = copy.deepcopy(report)
    last = len(report["windows"]) - 1
    report["findings"] = [f for f in report["findings"] if f["window"] == last]
    for finding in report["findings"]:
        finding["window"] = None
    report["windows"] = []
    report["summary"].update(windows=0, sustained=[], transient=[])
    return report


def with_overall(report: dict[str, Any]) -> dict[str, Any]:
    """Add findings on all current rows (``window`` null) next to the per-window ones."""
    report = copy.deepcopy(report)
    for name in DRIFT:
        finding = drift_finding(name, 3)
        finding.update(window=None, statistic=0.5, effect_size=0.27 if name == "age" else 0.01)
        report["findings"].insert(0, finding)
    quality = dict(quality_findings()[1], window=None)
    report["findings"].append(quality)
    return report


def make_hostile(report: dict[str, Any]) -> dict[str, Any]:
    """Rename ``age`` to a script tag and fill labels and messages with hostile text."""
    text = json.dumps(report).replace('"age"', json.dumps(HOSTILE["name"]))
    report = json.loads(text)
    report["columns"]["plan"]["categories"]["labels"] = HOSTILE["labels"]
    report["windows"][3]["label"] = HOSTILE["window"]
    report["created_at"] = HOSTILE["value"]
    quality = [f for f in report["findings"] if f["check"].startswith("quality.")]
    quality[1]["message"] = HOSTILE["message"]
    quality[1]["column"] = HOSTILE["markup"]
    quality[2]["details"]["values"] = [HOSTILE["value"], HOSTILE["control"]]
    quality[2]["message"] = HOSTILE["control"]
    return report


def make_model_report() -> dict[str, Any]:
    report = make_report()
    report["findings"] += model_findings()
    return json.loads(json.dumps(report))


def make_hostile_model(report: dict[str, Any]) -> dict[str, Any]:
    """``make_hostile`` plus hostile target, reason, segment, client, detector and pair text."""
    text = json.dumps(report)
    text = text.replace('"churned"', json.dumps(HOSTILE["value"]))
    text = text.replace("mahalanobis", "</script><b>maha</b>")
    text = text.replace(json.dumps(UNRELIABLE_REASON), json.dumps(HOSTILE["message"]))
    report = make_hostile(json.loads(text))
    for finding in report["findings"]:
        details = finding["details"]
        if finding["check"] == "segment.worst" and details["rows"] == 412:
            details["conditions"] = [HOSTILE["value"], HOSTILE["labels"][1]]
        if finding["check"] == "outlier.client" and details["rows"] == 900:
            details.update(client=HOSTILE["markup"], reasons=[HOSTILE["control"]])
        if finding["check"] == "skew.row_mismatch":
            details["top_pairs"] = [[HOSTILE["labels"][2], "<b>x</b>"]]
    return report


def make_big_report(n_columns: int = 200, n_windows: int = 50) -> dict[str, Any]:
    """Many columns and windows: half numeric (20 bins), half categorical (10 labels)."""
    names = [f"feature_{i:03d}" for i in range(n_columns)]
    findings = [
        _big_finding(name, i, w, n_windows)
        for w in range(n_windows)
        for i, name in enumerate(names)
    ]
    drifted = [
        f["column"] for f in findings if f["window"] == n_windows - 1 and f["verdict"] == "fail"
    ]
    return {
        "schema_version": "1.0",
        "summary": {
            "verdict": "fail", "drifted_columns": drifted, "dataset_drift": True,
            "drift_share": len(drifted) / n_columns, "columns_checked": n_columns,
            "quality_problems": 0, "windows": n_windows, "sustained": drifted, "transient": [],
        },
        "reference": {"rows": 1_000_000},
        "current": {"rows": 500_000},
        "windows": [{"index": w, "label": f"w{w:02d}"} for w in range(n_windows)],
        "findings": findings,
        "columns": {name: _big_column(i, name in drifted) for i, name in enumerate(names)},
    }  # fmt: skip


def _big_finding(name: str, i: int, window: int, n_windows: int) -> dict[str, Any]:
    effect = round((i % 17) / 100 + window / n_windows / 10, 4)
    return {
        "check": "drift.ks" if i % 2 == 0 else "drift.chi_square", "column": name,
        "window": window, "statistic": effect, "p_value": 0.001, "effect_size": effect,
        "threshold": 0.1, "verdict": "fail" if effect >= 0.1 else "ok", "message": "",
        "details": {"q_value": 0.004},
    }  # fmt: skip


def _big_column(i: int, drifted: bool) -> dict[str, Any]:
    column = {"kind": "numeric" if i % 2 == 0 else "categorical", "role": "feature"}
    column["drift"] = "sustained" if drifted else "none"
    if i % 2 == 0:
        column["histogram"] = histogram(list(range(21)), [0.05] * 20, [0.05] * 20)
    else:
        labels = [f"c{j}" for j in range(10)]
        column["categories"] = {"labels": labels, "reference": [0.1] * 10, "current": [0.1] * 10}
    return column


@pytest.fixture
def report() -> dict[str, Any]:
    return make_report()


@pytest.fixture
def plain_report(report: dict[str, Any]) -> dict[str, Any]:
    return unwindowed(report)


@pytest.fixture
def overall_report(report: dict[str, Any]) -> dict[str, Any]:
    return with_overall(report)


@pytest.fixture
def hostile_report(report: dict[str, Any]) -> dict[str, Any]:
    return make_hostile(report)


@pytest.fixture
def model_report() -> dict[str, Any]:
    return make_model_report()


@pytest.fixture
def plain_model_report(model_report: dict[str, Any]) -> dict[str, Any]:
    """The model report on all rows only: no windows, so no timelines."""
    report = copy.deepcopy(model_report)
    report["findings"] = [f for f in report["findings"] if f["window"] is None]
    report["windows"] = []
    report["summary"].update(windows=0, sustained=[], transient=[])
    return report


@pytest.fixture
def clear_segments_report(model_report: dict[str, Any]) -> dict[str, Any]:
    found = [f for f in model_report["findings"] if f["check"] != "segment.worst"]
    return dict(model_report, findings=found + segments_clear())


@pytest.fixture
def hostile_model_report(model_report: dict[str, Any]) -> dict[str, Any]:
    return make_hostile_model(model_report)


@pytest.fixture
def hostile() -> dict[str, Any]:
    return dict(HOSTILE)


@pytest.fixture(scope="session")
def big_report() -> dict[str, Any]:
    return make_big_report()
