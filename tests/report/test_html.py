"""The HTML report: content, escaping, offline-ness, size, and a real browser run."""

from __future__ import annotations

import html
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from plotly.offline import get_plotlyjs

from steward.report import html as report_html
from steward.report._view import format_number
from steward.report.html import MAX_COLUMN_CHARTS, render_html

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
ALL_PLOTS_DRAWN = """() =>
    document.querySelectorAll(".js-plotly-plot svg.main-svg").length > 0 &&
    document.querySelectorAll(".js-plotly-plot").length ===
    document.querySelectorAll("script.steward-figure").length"""
PLOTS_WITH_TRACES = """() => Array.from(document.querySelectorAll(".js-plotly-plot"))
    .filter((plot) => plot.querySelector("svg.main-svg g.trace")).length"""
MODEL_PROBES = {
    "filled bands": "document.querySelectorAll('#chart-performance-0 path.js-fill').length",
    "hollow red points": """Array.from(document.querySelectorAll(
        '#chart-performance-0 .scatterlayer path.point')).filter((p) =>
        p.style.fill === 'none' && p.style.stroke === 'rgb(220, 38, 38)').length""",
    "coverage bars": "document.querySelectorAll('#chart-performance-0 .barlayer path').length",
    "reference and detection lines": "document.querySelectorAll("
    "'#chart-performance-0 .shapelayer path').length",
    "legend": "Array.from(document.querySelectorAll('#chart-performance-0 .legendtext'))"
    ".map((e) => e.textContent)",
    "shaded episodes": "document.querySelectorAll('#chart-outliers .shapelayer path').length",
    "outlier lines": "document.querySelectorAll('#chart-outliers .scatterlayer .trace').length",
}
URL_ATTRIBUTES = {"src", "href", "action", "srcset", "poster", "data", "xlink:href", "formaction"}


class Page(HTMLParser):
    """Tags, visible text and script bodies of a page, as a browser's tokenizer sees them."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self._raw: str | None = None
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag in ("script", "style"):
            self._raw = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._raw is not None:
            self.scripts.append((self.tags_named("script")[-1], self._raw))
        self._raw = None

    def handle_data(self, data: str) -> None:
        if self._raw is None:
            self.text.append(data)
        else:
            self._raw += data

    def tags_named(self, name: str) -> list[dict[str, str | None]]:
        return [attrs for tag, attrs in self.tags if tag == name]

    @property
    def visible_text(self) -> str:
        return " ".join(" ".join(self.text).split())

    def figures(self) -> dict[str, dict[str, Any]]:
        """Figure JSON by the id of the element it is drawn into."""
        return {
            str(attrs["data-target"]): json.loads(body)
            for attrs, body in self.scripts
            if attrs.get("class") == "steward-figure"
        }

    def ids(self) -> set[str]:
        return {str(attrs["id"]) for _, attrs in self.tags if attrs.get("id")}


def parse(report: dict[str, Any]) -> Page:
    return Page(render_html(report))


def table_rows(page_text: str, section: str) -> list[list[str]]:
    """Words of each body row of the table in ``<section id=...>``."""
    start = page_text.index(f'<section id="{section}">')
    body = page_text[start:].split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [Page(row).visible_text.split(" ") for row in body.split("<tr>")[1:]]


# --------------------------------------------------------------------------- structure


def test_page_is_one_document(report: dict[str, Any]) -> None:
    text = render_html(report)
    assert text.startswith("<!DOCTYPE html>")
    assert text.count("<html") == 1 and text.rstrip().endswith("</html>")


def test_plotly_js_is_inlined_once(report: dict[str, Any]) -> None:
    text = render_html(report)
    bundle = get_plotlyjs()
    assert text.count(bundle[:2000]) == 1
    assert text.count(bundle[-2000:]) == 1
    assert len(text) < len(bundle) + 200_000


@pytest.mark.parametrize(
    "name", ["report", "hostile_report", "big_report", "model_report", "hostile_model_report"]
)
def test_no_network_references(name: str, request: pytest.FixtureRequest) -> None:
    page = parse(request.getfixturevalue(name))
    urls = [
        value
        for _, attrs in page.tags
        for key, value in attrs.items()
        if key in URL_ATTRIBUTES and value
    ]
    assert not [url for url in urls if url.lstrip().startswith(("http:", "https:", "//"))]
    assert all(not attrs.get("src") for attrs in page.tags_named("script"))
    assert page.tags_named("link") == []
    assert "@import" not in render_html(request.getfixturevalue(name)).split("</style>")[0]


# --------------------------------------------------------------------------- content


def test_summary_shows_the_numbers(report: dict[str, Any]) -> None:
    text = parse(report).visible_text
    assert "Steward report fail" in text
    assert "Drifted columns 1 of 4" in text
    assert "Dataset drift no" in text
    assert "Drift share 25%" in text
    assert "Rows reference / current 100,000 / 25,000" in text
    assert "Windows 4" in text and "Quality problems 2" in text
    assert "Sustained age" in text and "Transient plan" in text


def test_drift_table_is_worst_first_with_values(report: dict[str, Any]) -> None:
    rows = table_rows(render_html(report), "drift")
    assert [row[0] for row in rows] == ["age", "plan", "income", "active"]
    age = rows[0]
    assert age == [
        "age", "numeric", "drift.ks", "0.204", "1.2e-09", "4.8e-09", "0.34", "0.1",
        "fail", "sustained", "3", "/", "4",
    ]  # fmt: skip
    plan = ["drift.chi_square", "0.012", "0.31", "1", "0.02", "0.05", "ok", "transient"]
    assert rows[1][2:10] == plan


def test_drift_table_prefers_the_finding_on_all_rows(overall_report: dict[str, Any]) -> None:
    text = render_html(overall_report)
    age = table_rows(text, "drift")[0]
    assert age[0] == "age" and age[3] == "0.5" and age[6] == "0.27"
    assert age[-3:] == ["3", "/", "4"]
    windows = Page(text).figures()["chart-windows"]
    assert windows["data"][0]["y"] == [0.03, 0.21, 0.29, 0.34]


def test_quality_rows_group_windows_under_one_check(overall_report: dict[str, Any]) -> None:
    rows = table_rows(render_html(overall_report), "quality")
    missing = [" ".join(row) for row in rows if row[0] == "quality.missing_rate"]
    assert missing == ["quality.missing_rate income all rows 0.125 0.05 warn 1 / 4: 2026-01-26 "
                       "income missing 12.5% > 5%"]  # fmt: skip


def test_every_drifting_column_has_a_chart(report: dict[str, Any]) -> None:
    page = parse(report)
    titles = page.visible_text.split("Distributions, reference vs current")[1]
    for name in ["age", "plan", *report["summary"]["drifted_columns"]]:
        assert f"{name} fail" in titles or f"{name} ok" in titles
    figures = page.figures()
    assert set(figures) <= page.ids()
    assert len(figures) == 1 + len(report["columns"])


def test_numeric_chart_shows_histogram_shares(report: dict[str, Any]) -> None:
    figure = parse(report).figures()["chart-0"]  # age, the worst column
    reference, current = figure["data"]
    assert reference["name"] == "reference" and current["name"] == "current"
    assert reference["y"] == report["columns"]["age"]["histogram"]["reference"]
    assert current["y"] == report["columns"]["age"]["histogram"]["current"]
    assert reference["x"][0] == "[18 – 25)" and reference["x"][-1] == "[57 – 94]"


def test_categorical_chart_shows_grouped_categories(report: dict[str, Any]) -> None:
    figure = parse(report).figures()["chart-1"]  # plan
    assert figure["layout"]["barmode"] == "group"
    assert [trace["x"] for trace in figure["data"]] == [["basic", "pro", "(other)"]] * 2
    assert figure["data"][1]["y"] == [0.45, 0.35, 0.2]


def test_windows_chart_shows_effect_per_window(report: dict[str, Any]) -> None:
    figure = parse(report).figures()["chart-windows"]
    traces = {trace["name"]: trace for trace in figure["data"]}
    assert set(traces) == {"age", "plan"}
    assert traces["age"]["x"] == ["2026-01-05", "2026-01-12", "2026-01-19", "2026-01-26"]
    assert traces["age"]["y"] == [0.03, 0.21, 0.29, 0.34]
    assert sorted(shape["y0"] for shape in figure["layout"]["shapes"]) == [0.05, 0.1]


def test_no_windows_chart_without_windows(plain_report: dict[str, Any]) -> None:
    page = parse(plain_report)
    assert "chart-windows" not in page.figures()
    assert "Effect size per window" not in page.visible_text
    assert "Windows failed" not in page.visible_text


def test_quality_problems_come_first(report: dict[str, Any]) -> None:
    rows = table_rows(render_html(report), "quality")
    assert [row[0] for row in rows] == [
        "quality.unseen_categories",
        "quality.missing_rate",
        "quality.constant_column",
    ]
    assert "values: gold, platinum, x" in " ".join(rows[0]).replace(" ,", ",")
    assert rows[1][3:6] == ["0.125", "0.05", "warn"]


def test_report_without_findings_renders() -> None:
    page = parse({"summary": {"verdict": "ok"}, "findings": [], "columns": {}})
    assert "No drift findings." in page.visible_text
    assert page.figures() == {}


# --------------------------------------------------------------------------- escaping


def test_hostile_strings_appear_as_text(
    hostile_report: dict[str, Any], hostile: dict[str, Any]
) -> None:
    page = parse(hostile_report)
    tags = {tag for tag, _ in page.tags}
    assert not tags & {"img", "iframe", "svg", "b"}
    assert all(not key.startswith("on") for _, attrs in page.tags for key in attrs)
    assert len(page.tags_named("script")) == len(page.figures()) + 2  # plotly.js + bootstrap
    text = page.visible_text
    for value in (hostile["name"], hostile["window"], hostile["message"], hostile["value"]):
        assert value in text
    assert hostile["markup"] in text


def test_hostile_strings_cannot_leave_figure_json(
    hostile_report: dict[str, Any], hostile: dict[str, Any]
) -> None:
    page = parse(hostile_report)
    for attrs, body in page.scripts:
        if attrs.get("class") == "steward-figure":
            assert not set(body) & set("<>&")
    figures = page.figures()
    windows = {trace["name"] for trace in figures["chart-windows"]["data"]}
    assert html.escape(hostile["name"], quote=False) in windows
    plan = next(f for f in figures.values() if "(other)" not in str(f) and _is_plan(f))
    labels = [html.escape(label, quote=False) for label in hostile["labels"]]
    assert plan["data"][0]["x"] == labels


def _is_plan(figure: dict[str, Any]) -> bool:
    return figure["data"][0].get("x", [""])[0] == html.escape('a "quoted" & co', quote=False)


# --------------------------------------------------------------------------- size


def test_big_report_charts_only_the_worst_columns(big_report: dict[str, Any]) -> None:
    text = render_html(big_report)
    page = Page(text)
    figures = page.figures()
    assert len(figures) == MAX_COLUMN_CHARTS + 1
    assert len(figures["chart-windows"]["data"]) == report_html.MAX_WINDOW_LINES
    assert len(table_rows(text, "drift")) == 200
    assert "170 more are in the table above" in page.visible_text
    assert len(text) - len(get_plotlyjs()) < 1_000_000


# --------------------------------------------------------------------------- helpers


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "–"),
        (0, "0"),
        (100_000, "100,000"),
        (52_310.5, "52,310"),
        (41.25, "41.25"),
        (0.34, "0.34"),
        (1.2e-9, "1.2e-09"),
        (float("nan"), "–"),
        ("2026-01-05", "2026-01-05"),
    ],
)
def test_format_number(value: Any, text: str) -> None:
    assert format_number(value) == text


@pytest.mark.parametrize("value", ["</script><!--", "a & b", "<\u2028>", {"k<": ["</SCRIPT>"]}])
def test_safe_json_round_trips_without_markup_characters(value: Any) -> None:
    text = report_html.safe_json(json.dumps(value))
    assert not set(text) & set("<>&\u2028\u2029")
    assert json.loads(text) == value


def test_template_ships_inside_the_package() -> None:
    template = Path(report_html.__file__).parent / "templates" / "report.html"
    assert template.is_file()
    assert "src/steward/report/templates" in template.as_posix()


# --------------------------------------------------------------------------- browser


@dataclass
class Visit:
    """What happened while a page was open in the browser."""

    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    plots: int = 0
    svg_plots: int = 0
    tick_text: list[str] = field(default_factory=list)
    probes: dict[str, Any] = field(default_factory=dict)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        if os.environ.get("CI"):  # .ci/run installs it: in CI the browser tests must run
            pytest.fail("Debian chromium is missing in CI (.ci/run should have installed it)")
        pytest.skip("Debian chromium not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def open_report(
    browser: Any,
    report: dict[str, Any],
    path: Path,
    screenshot: str = "",
    probes: dict[str, str] | None = None,
) -> Visit:
    """Open the rendered page offline; ``probes`` are JS expressions evaluated once drawn."""
    path.write_text(render_html(report), encoding="utf-8")
    visit = Visit()
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.on("console", lambda m: m.type == "error" and visit.errors.append(m.text))
    page.on("pageerror", lambda e: visit.errors.append(str(e)))
    page.on("dialog", lambda d: (visit.dialogs.append(d.message), d.dismiss()))
    page.route("**/*", lambda route: _local_only(route, visit))
    page.goto(path.as_uri())
    page.wait_for_function(ALL_PLOTS_DRAWN)
    visit.plots = page.locator(".js-plotly-plot").count()
    visit.svg_plots = page.evaluate(PLOTS_WITH_TRACES)
    visit.tick_text = page.locator(".js-plotly-plot .xtick text").all_text_contents()
    visit.probes = {name: page.evaluate(js) for name, js in (probes or {}).items()}
    if screenshot:
        page.screenshot(path=screenshot, full_page=True)
    page.close()
    return visit


def _local_only(route: Any, visit: Visit) -> None:
    url = route.request.url
    visit.requests.append(url)
    if url.startswith(("file:", "data:", "blob:", "about:")):
        route.continue_()
    else:
        visit.blocked.append(url)
        route.abort()


@pytest.mark.slow
def test_report_renders_offline_in_chromium(
    browser: Any, report: dict[str, Any], tmp_path: Path
) -> None:
    visit = open_report(browser, report, tmp_path / "report.html", "/tmp/report.png")
    assert visit.errors == []
    assert visit.blocked == []
    assert visit.plots == 1 + len(report["columns"])
    assert visit.svg_plots == visit.plots
    assert "2026-01-26" in visit.tick_text


@pytest.mark.slow
def test_hostile_report_runs_no_injected_script(
    browser: Any, hostile_report: dict[str, Any], hostile: dict[str, Any], tmp_path: Path
) -> None:
    visit = open_report(browser, hostile_report, tmp_path / "hostile.html")
    assert visit.dialogs == []
    assert visit.errors == []
    assert visit.blocked == []
    for label in hostile["labels"]:
        assert label in visit.tick_text


@pytest.mark.slow
def test_big_report_renders_in_chromium(
    browser: Any, big_report: dict[str, Any], tmp_path: Path
) -> None:
    visit = open_report(browser, big_report, tmp_path / "big.html")
    assert visit.errors == [] and visit.blocked == []
    assert visit.plots == MAX_COLUMN_CHARTS + 1


@pytest.mark.slow
def test_model_report_charts_render_in_chromium(
    browser: Any, model_report: dict[str, Any], tmp_path: Path
) -> None:
    visit = open_report(
        browser, model_report, tmp_path / "model.html", "/tmp/report2.png", MODEL_PROBES
    )
    assert visit.errors == [] and visit.blocked == []
    assert visit.plots == len(parse(model_report).figures()) == 12
    assert visit.svg_plots == visit.plots
    assert visit.probes == {
        "filled bands": 2,  # realised, and estimated up to the unreliable window
        "hollow red points": 1,
        "coverage bars": 4,
        "reference and detection lines": 3,
        "legend": [
            "label coverage", "realised", "estimated", "estimate unreliable", "stream detection"
        ],
        "shaded episodes": 4,  # two outlier events, two drift lanes
        "outlier lines": 6,  # rate and reference per detector, two legend swatches
    }  # fmt: skip


@pytest.mark.slow
def test_hostile_model_report_runs_no_injected_script(
    browser: Any, hostile_model_report: dict[str, Any], tmp_path: Path
) -> None:
    visit = open_report(browser, hostile_model_report, tmp_path / "hostile_model.html")
    assert visit.dialogs == [] and visit.errors == [] and visit.blocked == []
    assert visit.plots == visit.svg_plots == len(parse(hostile_model_report).figures())
