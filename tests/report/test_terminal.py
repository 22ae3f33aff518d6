"""The terminal summary: what it prints, in what order, in which colour, and safely."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from model_findings import CALIBRATION_REASON, SEGMENTS_CLEAR, UNRELIABLE_REASON
from rich.console import Console

from steward.report.terminal import render_terminal


def printed(report: dict[str, Any], width: int = 160, **options: Any) -> str:
    console = Console(file=io.StringIO(), width=width, color_system=None, **options)
    render_terminal(report, console)
    return console.file.getvalue()  # type: ignore[attr-defined]


def line_of(text: str, word: str) -> str:
    return next(line for line in text.splitlines() if word in line)


def test_verdict_line_comes_first(report: dict[str, Any]) -> None:
    first = printed(report).splitlines()[0]
    assert first == (
        "FAIL · 1 of 4 columns drifted (25%) · dataset drift: no"
        " · rows 100,000 reference / 25,000 current"
    )


def test_drift_table_lists_drifting_columns_worst_first(report: dict[str, Any]) -> None:
    text = printed(report)
    assert text.index(" age ") < text.index(" plan ")
    assert " income " not in text.split("Quality problems")[0]
    assert line_of(text, " age ").split() == [
        "age", "numeric", "ks", "0.204", "1.2e-09", "/", "4.8e-09", "0.34", "/", "0.1",
        "fail", "sustained", "3/4",
    ]  # fmt: skip
    assert line_of(text, " plan ").split()[-2:] == ["transient", "1/4"]


def test_quality_problems_fail_first_without_passing_checks(report: dict[str, Any]) -> None:
    quality = printed(report).split("Quality problems")[1]
    assert quality.index("unseen_categories") < quality.index("missing_rate")
    assert "constant_column" not in quality
    assert line_of(quality, "missing_rate").split()[1:6] == [
        "income",
        "0.125",
        "0.05",
        "warn",
        "1/4",
    ]


def test_window_line_names_sustained_and_transient(report: dict[str, Any]) -> None:
    last = printed(report).splitlines()[-1]
    assert last == "4 windows (last 2026-01-26) · sustained: age · transient: plan"


def test_windowed_report_leads_with_the_finding_on_all_rows(
    overall_report: dict[str, Any],
) -> None:
    text = printed(overall_report)
    assert line_of(text, " age ").split()[3:10] == [
        "0.5", "1.2e-09", "/", "4.8e-09", "0.27", "/", "0.1",
    ]  # fmt: skip
    assert line_of(text, " age ").split()[-1] == "3/4"
    assert [line.split()[5] for line in text.splitlines() if "missing_rate" in line] == ["1/4"]


def test_unwindowed_report_has_no_window_line(plain_report: dict[str, Any]) -> None:
    text = printed(plain_report)
    assert "windows" not in text
    assert line_of(text, " age ").split()[-1] == "sustained"


def test_quiet_report_says_so() -> None:
    text = printed({"summary": {"verdict": "ok", "columns_checked": 3}, "findings": []})
    assert text.splitlines()[0].startswith("OK · 0 of 3 columns drifted")
    assert "No column drifts." in text


def test_verdicts_are_coloured(report: dict[str, Any]) -> None:
    console = Console(file=io.StringIO(), width=160, force_terminal=True, color_system="standard")
    render_terminal(report, console)
    text = console.file.getvalue()  # type: ignore[attr-defined]
    assert text.startswith("\x1b[1;31mFAIL\x1b[0m")
    assert re.search(r"\x1b\[1;31mfail *\x1b\[0m", text)
    assert re.search(r"\x1b\[33mwarn *\x1b\[0m", text)
    assert re.search(r"\x1b\[32mok *\x1b\[0m", text)


def test_hostile_values_print_literally(
    hostile_report: dict[str, Any], hostile: dict[str, Any]
) -> None:
    text = printed(hostile_report)
    assert hostile["name"] in text
    assert hostile["markup"] in text  # not read as Rich markup
    assert "\x1b" not in text and "\x07" not in text
    assert "bell\\x07\\x1b[31mred" in text


def test_default_console_prints_to_stdout(
    report: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    render_terminal(report)
    assert "FAIL · 1 of 4 columns drifted" in capsys.readouterr().out


def test_big_report_is_capped(big_report: dict[str, Any]) -> None:
    text = printed(big_report)
    assert "… and 158 more drifting columns" in text
    assert len(text.splitlines()) < 60


# --------------------------------------------------------------------------- model sections


def test_model_tables_come_between_verdict_and_quality(model_report: dict[str, Any]) -> None:
    text = printed(model_report)
    titles = ["Model performance", "Drifting columns", "Worst segments", "Outlier rates"]
    titles += ["Flagged clients", "Quality problems"]
    positions = [text.index(title) for title in titles]
    assert positions == sorted(positions)
    assert text.splitlines()[-1].startswith("4 windows (last 2026-01-26)")


def test_performance_table_shows_bands(model_report: dict[str, Any]) -> None:
    text = printed(model_report)
    assert "realised [band]" in text and "estimated [band]" in text
    assert line_of(text, " roc_auc ").split() == [
        "roc_auc", "0.86", "[0.84,", "0.88]", "0.84", "[0.815,", "0.865]", "0.9", "46.2%", "warn",
    ]  # fmt: skip
    assert line_of(text, " precision ").split()[4:] == ["–", "0.72", "46.2%", "warn"]
    assert "(unreliable)" in line_of(text, " f1 ")


def test_unreliable_estimates_give_their_reasons(model_report: dict[str, Any]) -> None:
    lines = [line for line in printed(model_report).splitlines() if "unreliable:" in line]
    assert lines == [
        f"estimate of f1 (all rows) unreliable: {CALIBRATION_REASON}",
        f"estimate of roc_auc (2026-01-26) unreliable: {UNRELIABLE_REASON}",
    ]


def test_worst_segments_and_outliers(model_report: dict[str, Any]) -> None:
    text = printed(model_report)
    assert line_of(text, "plan = pro and age >= 60").split()[-8:] == [
        "412", "1.65%", "0.31", "/", "0.12", "2.58", "3.1e-06", "fail",
    ]  # fmt: skip
    assert line_of(text, " isolation_forest ").split() == [
        "isolation_forest", "2.1%", "1%", "1e-06", "525", "/", "25,000", "fail",
    ]  # fmt: skip
    clients = text.split("Flagged clients")[1].split("Quality problems")[0]
    assert line_of(clients, "api-key-7f3a").split()[:6] == [
        "api-key-7f3a", "900", "3.6%", "41%", "80%", "fail",
    ]  # fmt: skip
    assert "batch-nightly" in clients and " web " not in clients  # ok clients are left out


def test_no_significant_segment_is_one_line(clear_segments_report: dict[str, Any]) -> None:
    text = printed(clear_segments_report)
    assert f"Segments: {SEGMENTS_CLEAR}" in text
    assert "Worst segments" not in text


def test_drift_only_report_prints_no_model_tables(report: dict[str, Any]) -> None:
    text = printed(report)
    for title in ("Model performance", "Worst segments", "Outlier rates", "Flagged clients"):
        assert title not in text


def test_hostile_model_values_print_literally(
    hostile_model_report: dict[str, Any], hostile: dict[str, Any]
) -> None:
    text = printed(hostile_model_report, width=240)
    assert "\x1b" not in text and "\x07" not in text
    assert f"({hostile['window']}) unreliable: {hostile['message']}" in text
    assert hostile["markup"] in line_of(text, " 900 ")  # the client, not read as markup
    assert "bell\\x07\\x1b[31mred" in line_of(text, " 900 ")
    assert "</script><b>maha</b>" in text
    assert f"{hostile['value']} and {hostile['labels'][1]}" in text
