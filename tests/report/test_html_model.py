"""The HTML report's model sections: performance, segments, outliers, multivariate drift, skew."""

from __future__ import annotations

import html
from typing import Any

import pytest
from model_findings import (
    CALIBRATION_REASON,
    COVERAGE,
    ESTIMATED,
    OUTLIERS,
    REALISED,
    SEGMENTS_CLEAR,
    UNRELIABLE_REASON,
)
from test_html import Page, parse

from steward.report import html as report_html
from steward.report._view import PERFORMANCE_METRICS
from steward.report.html import render_html

IN_ORDER = [m for m in PERFORMANCE_METRICS if m in REALISED]  # accuracy first
MODEL_SECTIONS = ["performance", "multivariate", "segments", "outliers", "skew"]


def tables(page_text: str, section: str) -> list[list[list[str]]]:
    """Words of each body row, per table, in ``<section id=...>``."""
    start = page_text.index(f'<section id="{section}">')
    body = page_text[start : page_text.index("</section>", start)]
    return [
        [
            Page("<tr" + row).visible_text.split(" ")
            for row in part.split("</tbody>")[0].split("<tr")[1:]
        ]
        for part in body.split("<tbody>")[1:]
    ]


def section_text(page: Page, title: str, until: str) -> str:
    return page.visible_text.split(title, 1)[1].split(until, 1)[0]


def traces(figure: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Traces by name; the last of a name wins (band polygons share one)."""
    return {trace.get("name"): trace for trace in figure["data"]}


# --------------------------------------------------------------------------- structure


def test_sections_come_in_reading_order(model_report: dict[str, Any]) -> None:
    text = render_html(model_report)
    order = ["summary", "performance", "multivariate", "drift", "windows", "segments"]
    order += ["outliers", "skew", "distributions", "quality"]
    positions = [text.index(f'<section id="{section}">') for section in order]
    assert positions == sorted(positions)


def test_drift_only_report_has_no_model_sections(report: dict[str, Any]) -> None:
    page = parse(report)
    assert not set(MODEL_SECTIONS) & page.ids()
    for title in ("Model performance", "Multivariate drift", "Segments", "Outliers and traffic"):
        assert title not in page.visible_text
    assert not [name for name in page.figures() if not name.startswith("chart-")]


def test_each_section_needs_only_its_own_findings(model_report: dict[str, Any]) -> None:
    for family in ("segment.", "outlier.", "skew."):
        found = [f for f in model_report["findings"] if not f["check"].startswith(family)]
        ids = parse(dict(model_report, findings=found)).ids()
        missing = {"segment.": "segments", "outlier.": "outliers", "skew.": "skew"}[family]
        assert missing not in ids
        assert set(MODEL_SECTIONS) - {missing} <= ids


# --------------------------------------------------------------------------- performance


def test_performance_table_shows_values_on_all_rows(model_report: dict[str, Any]) -> None:
    rows = {row[0]: row for row in tables(render_html(model_report), "performance")[0]}
    assert list(rows) == IN_ORDER
    assert rows["roc_auc"] == [
        "roc_auc", "0.86", "[0.84,", "0.88]", "0.84", "[0.815,", "0.865]", "cbpe",
        "0.9", "46.2%", "warn",
    ]  # fmt: skip
    assert rows["precision"][4:] == ["–", "0.72", "46.2%", "warn"]  # no estimate
    assert rows["brier"][-1] == "ok"


def test_unreliable_estimate_is_marked_with_its_reason(model_report: dict[str, Any]) -> None:
    text = render_html(model_report)
    f1 = " ".join(next(r for r in tables(text, "performance")[0] if r[0] == "f1"))
    assert f1.startswith("f1 0.66 [0.63, 0.69] 0.65 [0.625, 0.675] cbpe unreliable")
    assert CALIBRATION_REASON in f1
    assert f1.endswith("0.7 46.2% warn")  # the realised verdict stands
    listed = section_text(Page(text), "Model performance", "Per window")
    assert f"unreliable estimate of estimate.f1 (all rows): {CALIBRATION_REASON}" in listed
    assert f"unreliable estimate of estimate.roc_auc (2026-01-26): {UNRELIABLE_REASON}" in listed


def test_charts_prefer_the_usual_metrics_then_the_worst(model_report: dict[str, Any]) -> None:
    page = parse(model_report)
    charts = [name for name in page.figures() if name.startswith("chart-performance-")]
    assert len(charts) == report_html.MAX_PERFORMANCE_CHARTS
    titles = [page.figures()[name]["layout"]["yaxis"]["title"]["text"] for name in charts]
    assert titles == ["roc_auc", "accuracy", "f1", "precision", "recall", "log_loss"]
    assert "2 more metrics are in the table." in page.visible_text


def test_metric_chart_has_lines_bands_reference_and_coverage(
    model_report: dict[str, Any],
) -> None:
    figure = parse(model_report).figures()["chart-performance-0"]  # roc_auc
    by_name = traces(figure)
    labels = ["2026-01-05", "2026-01-12", "2026-01-19", "2026-01-26"]
    assert by_name["realised"]["x"] == labels
    assert by_name["realised"]["y"] == REALISED["roc_auc"][1]
    assert by_name["estimated"]["y"] == ESTIMATED["roc_auc"][0]
    assert by_name["estimated"]["line"]["dash"] == "dash"
    realised_band = by_name["realised 95% band"]
    assert realised_band["fill"] == "toself"
    assert realised_band["y"] == [0.93, 0.9, 0.84, 0.82, 0.78, 0.8, 0.86, 0.89]
    # the band stops before the unreliable last window
    assert by_name["estimated 95% band"]["x"] == [*labels[:3], *labels[2::-1]]
    coverage = by_name["label coverage"]
    assert coverage["type"] == "bar" and coverage["yaxis"] == "y2"
    assert coverage["y"] == COVERAGE
    reference = [s for s in figure["layout"]["shapes"] if s["y0"] == s["y1"]]
    assert [s["y0"] for s in reference] == [0.9]


def test_unreliable_points_are_hollow_red_with_the_reason(model_report: dict[str, Any]) -> None:
    figure = parse(model_report).figures()["chart-performance-0"]
    marked = traces(figure)["estimate unreliable"]
    assert marked["x"] == ["2026-01-26"] and marked["y"] == [0.71]
    assert marked["marker"]["symbol"] == "circle-open"
    assert marked["marker"]["color"] == report_html.UNRELIABLE_COLOUR
    assert UNRELIABLE_REASON[:40] in marked["customdata"][0]
    assert "%{customdata}" in marked["hovertemplate"]


def test_stream_detections_are_vertical_lines(model_report: dict[str, Any]) -> None:
    page = parse(model_report)
    figure = page.figures()["chart-performance-0"]
    lines = [s for s in figure["layout"]["shapes"] if s["type"] == "line" and s["x0"] == s["x1"]]
    assert [(s["x0"], s["yref"]) for s in lines] == [(2, "paper"), (3, "paper")]
    assert [a["text"] for a in figure["layout"]["annotations"]][1:] == [
        "adwin",
        "page_hinkley (age)",
    ]
    rows = tables(render_html(model_report), "performance")[1]
    assert rows[0][:5] == ["stream.adwin", "model", "error", "2026-01-19", "14,100"]


def test_unwindowed_model_report_has_tables_and_no_timelines(
    plain_model_report: dict[str, Any],
) -> None:
    page = parse(plain_model_report)
    assert not {"chart-outliers", "chart-performance-0"} & set(page.figures())
    assert "Model performance" in page.visible_text
    rows = tables(render_html(plain_model_report), "performance")[0]
    assert [row[0] for row in rows] == IN_ORDER


# --------------------------------------------------------------------------- drift, segments


def test_multivariate_block_sits_above_the_column_table(model_report: dict[str, Any]) -> None:
    text = render_html(model_report)
    classifier, pca = tables(text, "multivariate")[0]
    assert classifier[:11] == [
        "drift.domain_classifier", "all", "rows", "0.68", "1e-05", "–", "0.6", "fail",
        "3", "/", "4",
    ]  # fmt: skip
    assert "age (0.62) , plan (0.2)" in " ".join(classifier)
    assert pca[0] == "drift.pca_reconstruction" and "warn" in pca
    assert len(tables(text, "drift")[0]) == 4  # the column table is unchanged


def test_worst_segments_table(model_report: dict[str, Any]) -> None:
    worst, _, drivers, drift = tables(render_html(model_report), "segments")
    assert worst[0] == [
        "plan", "=", "pro", "and", "age", ">=", "60", "412", "1.65%", "0.31", "0.12", "2.58",
        "two-proportion", "z", "3.1e-06", "fail",
    ]  # fmt: skip
    assert worst[1][:3] == ["region", "=", "north"] and worst[1][-1] == "warn"
    assert [row[0] for row in drivers] == ["1", "2", "3"]
    assert drivers[0][:5] == ["1", "age", "0.27", "0.31", "permutation"]
    assert drift[0][:4] == ["age", "plan", "=", "pro"]


def test_small_segments_are_greyed_and_labelled(model_report: dict[str, Any]) -> None:
    text = render_html(model_report)
    rows = tables(text, "segments")[1]
    assert rows[0][:6] == ["plan", "pro", "plan", "2,100", "0.22", "0.13"]
    assert rows[1][:3] == ["plan", "small", "enterprise"]
    segment_metrics = text.split('class="segment-metrics"')[1].split("</table>")[0]
    assert segment_metrics.count('<tr class="small">') == 1


def test_no_significant_segment_shows_the_message(
    clear_segments_report: dict[str, Any],
) -> None:
    page = parse(clear_segments_report)
    segments = section_text(page, "Segments", "Outliers and traffic")
    assert f"ok {SEGMENTS_CLEAR}" in segments
    assert "Worst segments" not in segments and "Metric per segment" in segments


# --------------------------------------------------------------------------- outliers, skew


def test_outlier_rates_per_detector(model_report: dict[str, Any]) -> None:
    detectors = tables(render_html(model_report), "outliers")[0]
    assert detectors[0] == [
        "outlier.isolation_forest", "all", "rows", "2.1%", "1%", "1e-06", "525", "/",
        "25,000", "income", ",", "age", "fail", "1", "/", "4",
    ]  # fmt: skip
    assert detectors[1][:4] == ["outlier.mahalanobis", "all", "rows", "3.4%"]


def test_outlier_timeline_shows_rates_references_and_episodes(
    model_report: dict[str, Any],
) -> None:
    figure = parse(model_report).figures()["chart-outliers"]
    by_name = traces(figure)
    assert by_name["isolation_forest"]["y"] == OUTLIERS["isolation_forest"][1]
    assert by_name["mahalanobis reference"]["y"] == [0.02] * 4
    assert by_name["mahalanobis reference"]["line"]["dash"] == "dash"
    assert {"transient episode", "sustained episode"} <= set(by_name)
    shapes = [(s["x0"], s["x1"], s["fillcolor"]) for s in figure["layout"]["shapes"]]
    transient, sustained = report_html.SHADES["transient"], report_html.SHADES["sustained"]
    assert shapes == [
        (1.5, 2.5, transient),  # isolation_forest spike in window 2
        (2.5, 3.5, sustained),  # mahalanobis from window 3
        (0.5, 3.5, sustained),  # age drifts in windows 1-3
        (0.5, 1.5, transient),  # plan drifts in window 1
    ]
    labels = [a["text"] for a in figure["layout"]["annotations"]]
    assert labels == [
        "transient: isolation_forest (peak 0.048)",
        "sustained: mahalanobis (peak 0.06)",
        "sustained drift: age",
        "transient drift: plan",
    ]


def test_flagged_clients_worst_first(model_report: dict[str, Any]) -> None:
    text = render_html(model_report)
    events, clients = tables(text, "outliers")[1:]
    assert [row[0] for row in events] == ["isolation_forest", "mahalanobis"]
    assert events[1][:4] == ["mahalanobis", "sustained", "2026-01-26", "0.06"]
    assert [row[0] for row in clients] == ["api-key-7f3a", "batch-nightly", "web"]
    assert " ".join(clients[0]) == (
        "api-key-7f3a 900 3.6% 41% 80% income probing: income varied alone; "
        "outlier rate 41% vs 1% fail"
    )


def test_skew_section(model_report: dict[str, Any]) -> None:
    tests, mismatches, checks = tables(render_html(model_report), "skew")
    assert tests[0] == ["age", "numeric", "skew.ks", "0.08", "0.002", "0.07", "0.1", "warn"]
    assert " ".join(mismatches[0]) == (
        "income 12% 310.5 12,000 52,000 → 52,310 , 40,000 → 52,000 fail"
    )
    assert [row[0] for row in checks] == ["skew.preprocessing", "skew.row_join"]


# --------------------------------------------------------------------------- escaping


def test_hostile_model_values_appear_as_text(
    hostile_model_report: dict[str, Any], hostile: dict[str, Any]
) -> None:
    page = parse(hostile_model_report)
    assert not {tag for tag, _ in page.tags} & {"img", "iframe", "svg", "b"}
    assert all(not key.startswith("on") for _, attrs in page.tags for key in attrs)
    assert len(page.tags_named("script")) == len(page.figures()) + 2
    text = page.visible_text
    for value in (
        f"{hostile['value']} and {hostile['labels'][1]}",  # segment conditions
        "outlier.</script><b>maha</b>",  # detector
        f"{hostile['markup']} 900",  # client
        "bell\x07\x1b[31mred",  # client reasons, as text
        f"{hostile['labels'][2]} → <b>x</b>",  # skew pairs
        f"(all rows): {CALIBRATION_REASON}",
        f"({hostile['window']}): {hostile['message']}",  # the unreliable reason
        f"roc_auc · {hostile['value']}",  # the target in a chart title
    ):
        assert value in text


def test_hostile_model_values_are_escaped_in_figures(
    hostile_model_report: dict[str, Any], hostile: dict[str, Any]
) -> None:
    page = parse(hostile_model_report)
    for attrs, body in page.scripts:
        if attrs.get("class") == "steward-figure":
            assert not set(body) & set("<>&")
    figures = page.figures()
    reason = traces(figures["chart-performance-0"])["estimate unreliable"]["customdata"][0]
    assert html.escape(hostile["message"], quote=False) in reason
    names = set(traces(figures["chart-outliers"]))
    assert html.escape("</script><b>maha</b>", quote=False) in names
    lanes = [a["text"] for a in figures["chart-outliers"]["layout"]["annotations"]]
    assert f"sustained drift: {html.escape(hostile['name'], quote=False)}" in lanes
    detections = [a["text"] for a in figures["chart-performance-0"]["layout"]["annotations"]]
    assert f"page_hinkley ({html.escape(hostile['name'], quote=False)})" in detections
    assert all("%{" not in str(trace.get("name")) for f in figures.values() for trace in f["data"])


@pytest.mark.parametrize("key", ["statistic", "details"])
def test_missing_values_render_as_dashes(model_report: dict[str, Any], key: str) -> None:
    for finding in model_report["findings"]:
        finding[key] = None
    page = parse(model_report)
    assert "Model performance" in page.visible_text
    assert "Outliers and traffic" in page.visible_text


def test_details_of_unexpected_shape_still_render(model_report: dict[str, Any]) -> None:
    odd = {
        "conditions": "plan = pro", "reasons": "one reason", "windows": "2", "kind": None,
        "top_features": {"age": 1}, "top_pairs": "a→b", "rank": "first", "ratio": "high",
        "small": "yes", "index": [1], "label_coverage": "most",
    }  # fmt: skip
    for finding in model_report["findings"]:
        finding["details"] = dict(odd)
    page = parse(model_report)
    assert "plan = pro" in section_text(page, "Worst segments", "Metric per segment")
    assert "one reason" in section_text(page, "Flagged clients", "Training–serving skew")
