"""Plans load from YAML with every error located at its line and column."""

from __future__ import annotations

import itertools
import re
import sys
from pathlib import Path

import pytest

from steward._exceptions import PlanError
from steward.plan.loading import load_plan, validate_text
from steward.plan.schema import MaintenancePlan

TWO_MISTAKES = """\
# credit plan
model: credit
monitor:
  every: 1h
  window: 1D
gate:
  min_samples: many
  alpha: 0.05
alerts:
  rules:
    - name: drift
      colour: red
      when: {check: "drift.*"}
"""


def errors(text: str, filename: str = "plan.yaml") -> list[str]:
    """The located error lines of a plan that must not validate."""
    with pytest.raises(PlanError) as caught:
        validate_text(text, filename)
    header, *lines = str(caught.value).splitlines()
    assert header == f"{filename}: {len(lines)} error{'s' if len(lines) != 1 else ''} in the plan"
    return lines


def test_wrong_type_and_unknown_key_report_their_lines() -> None:
    lines = errors(TWO_MISTAKES)
    assert len(lines) == 2
    assert lines[0].startswith("plan.yaml:7:16: gate.min_samples: Input should be a valid integer")
    assert lines[1].startswith("plan.yaml:12:7: alerts.rules.0.colour: unknown key (allowed: ")
    assert "when, for, keep_firing_for" in lines[1]


def test_alias_for_is_located_and_named_as_written() -> None:
    text = "model: m\nalerts:\n  rules:\n    - name: r\n      when: {}\n      for: soon\n"
    (line,) = errors(text)
    assert line.startswith("plan.yaml:6:12: alerts.rules.0.for: Input should be a valid integer")


def test_missing_key_points_at_the_mapping_that_lacks_it() -> None:
    text = "model: m\nalerts:\n  rules:\n    - name: r\n      for: 2\n"
    assert errors(text) == ["plan.yaml:4:7: alerts.rules.0.when: is required but missing"]


def test_missing_model_is_a_clear_error() -> None:
    text = "# a plan\n\ndescription: nothing else\n"
    assert errors(text) == ["plan.yaml:3:1: model: is required but missing"]


def test_yaml_syntax_error_reports_its_line() -> None:
    text = "model: credit\nmonitor:\n  every: 1h\n   window: 1D\n"
    (line,) = errors(text)
    assert re.match(r"plan\.yaml:4:\d+: YAML: .*mapping values are not allowed", line)


def test_unclosed_flow_sequence_reports_where_it_gave_up() -> None:
    (line,) = errors("model: m\nchecks:\n  expectations: [a >= 0\n")
    assert re.match(r"plan\.yaml:4:1: YAML: while parsing a flow sequence", line)


@pytest.mark.parametrize("text", ["", "\n", "# only a comment\n", "~\n"])
def test_empty_file_is_a_clear_error(text: str) -> None:
    assert errors(text) == ["plan.yaml:1:1: the plan is empty; it needs at least `model: NAME`"]


def test_list_at_top_level_is_a_clear_error() -> None:
    assert errors("- model: m\n") == [
        "plan.yaml:1:1: a plan is a mapping of sections (model, checks, …), not a list"
    ]


def test_scalar_at_top_level_is_a_clear_error() -> None:
    (line,) = errors("credit\n")
    assert line == "plan.yaml:1:1: a plan is a mapping of sections (model, checks, …), not " + (
        "the value 'credit'"
    )


def test_duplicate_key_is_an_error_not_a_silent_override() -> None:
    text = "model: m\ngate:\n  alpha: 0.01\n  alpha: 0.1\n"
    assert errors(text) == ["plan.yaml:4:3: gate.alpha: duplicate key"]


def test_near_miss_gets_a_suggestion() -> None:
    (line,) = errors("model: m\nmonitr: {every: 1h}\n")
    assert line.startswith("plan.yaml:2:1: monitr: unknown key; did you mean monitor? (allowed:")


def test_every_error_is_listed_in_line_order() -> None:
    text = (
        "model: m\n"
        "monitor: {every: often}\n"
        "retrain: {cooldown: 1y, min_labelled: 0}\n"
        "fallback: {version: 0}\n"
    )
    lines = errors(text)
    assert [line.split(": ")[0:2] for line in lines] == [
        ["plan.yaml:2:18", "monitor.every"],
        ["plan.yaml:3:21", "retrain.cooldown"],
        ["plan.yaml:3:39", "retrain.min_labelled"],
        ["plan.yaml:4:21", "fallback.version"],
    ]
    assert "'often' is not a period such as 30m, 1h, 1D or 1W" in lines[0]


def test_per_column_override_errors_are_located() -> None:
    text = (
        "model: m\n"
        "checks:\n"
        "  drift:\n"
        "    columns:\n"
        "      income: {test: not_a_test}\n"
        "  quality:\n"
        "    columns:\n"
        "      age: {thresholds: {missing_rate: 2}}\n"
    )
    lines = errors(text)
    assert lines[0].startswith("plan.yaml:5:22: checks.drift.columns.income.test: unknown drift")
    assert lines[1].startswith("plan.yaml:8:13: checks.quality.columns.age.thresholds: ")
    assert "between 0 and 1" in lines[1]


def test_rules_name_defined_routes() -> None:
    text = "model: m\nalerts:\n  rules: [{name: r, when: {}, routes: [pager]}]\n"
    assert errors(text) == ["plan.yaml:2:1: alerts: rule 'r' names unknown routes ['pager']"]


def test_retrain_triggers_name_defined_rules() -> None:
    text = (
        "model: m\n"
        "alerts: {rules: [{name: r, when: {}}]}\n"
        "retrain: {entry_point: 'a:b', trigger: {on_alerts: [r, nope]}}\n"
    )
    assert errors(text) == [
        "plan.yaml:1:1: retrain.trigger.on_alerts names unknown alert rules ['nope']"
    ]


def test_trigger_needs_an_entry_point() -> None:
    (line,) = errors("model: m\nretrain:\n  trigger: {every: 1W}\n")
    assert line == (
        "plan.yaml:2:1: retrain: a retraining trigger (on_alerts or every) needs an entry_point"
    )


def test_anchors_and_merge_keys_are_followed() -> None:
    text = (
        "model: m\n"
        "alerts:\n"
        "  rules:\n"
        "    - &base {name: a, when: {}, severity: warning}\n"
        "    - <<: *base\n"
        "      name: b\n"
        "      severity: loud\n"
    )
    (line,) = errors(text)
    assert line.startswith("plan.yaml:7:17: alerts.rules.1.severity: Input should be 'info'")


def test_valid_plan_keeps_alias_and_overrides() -> None:
    text = (
        "model: credit\n"
        "checks: {drift: {columns: {income: {min_effect: 0.3}}}}\n"
        "alerts: {rules: [{name: slow, for: 2,\n"
        "  when: {metric: performance.accuracy, value: 0.8}}]}\n"
    )
    plan = validate_text(text)
    assert plan.model == "credit"
    assert plan.alerts.rules[0].for_ == 2
    assert plan.checks.drift.columns["income"].min_effect == 0.3
    assert plan.checks.drift.columns["income"].model_fields_set == {"min_effect"}


def test_entry_point_is_only_text_and_nothing_is_imported() -> None:
    before = set(sys.modules)
    plan = validate_text(
        "model: m\nretrain: {entry_point: 'steward_canary_module:fn', trigger: {every: 1D}}\n"
    )
    assert plan.retrain.entry_point == "steward_canary_module:fn"
    assert "steward_canary_module" not in sys.modules
    assert not {name for name in set(sys.modules) - before if "canary" in name}
    assert validate_text("model: m\nretrain: {entry_point: 'os:system'}\n").retrain.entry_point == (
        "os:system"
    )


def test_python_tags_are_refused_by_the_safe_loader() -> None:
    (line,) = errors("model: !!python/object/apply:os.system ['true']\n")
    assert line.startswith("plan.yaml:1:8: ")
    assert "could not determine a constructor" in line


def test_load_plan_reads_files_mappings_and_plans(tmp_path: Path) -> None:
    file = tmp_path / "plan.yaml"
    file.write_text("model: credit\nmonitor: {window: 1W}\n")
    from_file = load_plan(file)
    assert from_file.monitor.window == "1W"
    assert load_plan(str(file)) == from_file
    assert load_plan({"model": "credit", "monitor": {"window": "1W"}}) == from_file
    assert load_plan(from_file) is from_file


def test_load_plan_names_the_file_in_errors(tmp_path: Path) -> None:
    file = tmp_path / "plan.yaml"
    file.write_text("model: credit\ngate: {alpha: 3}\n")
    with pytest.raises(PlanError, match=re.escape(f"{file}:2:15: gate.alpha: ")):
        load_plan(file)
    with pytest.raises(PlanError, match="plan file not found"):
        load_plan(tmp_path / "absent.yaml")


def test_mapping_errors_name_the_path_without_lines() -> None:
    with pytest.raises(PlanError) as caught:
        load_plan({"model": "m", "gate": {"alpha": 3}, "extra": 1})
    assert str(caught.value).splitlines()[1:] == [
        "<plan>: extra: unknown key (allowed: model, description, reference, checks, monitor, "
        "alerts, retrain, gate, rollback, fallback)",
        "<plan>: gate.alpha: Input should be less than 1",
    ]


def test_plan_is_a_plain_value_object() -> None:
    plan = MaintenancePlan.model_validate({"model": "m"})
    assert validate_text("model: m\n") == plan
    with pytest.raises(PlanError, match="model: String should have at least 1 character"):
        validate_text("model: ''\n")


def test_union_branches_make_one_error_at_the_key() -> None:
    assert errors("model: m\nchecks:\n  windows: {every: [1]}\n") == [
        "plan.yaml:3:13: checks.windows.every: Input should be a valid integer; "
        "or Input should be a valid string"
    ]


def test_alias_bombs_and_recursive_anchors_fail_fast() -> None:
    names = "abcdefghij"
    bomb = "model: m\na: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{new}: &{new} [{', '.join(['*' + old] * 9)}]\n" for old, new in itertools.pairwise(names)
    )
    lines = errors(bomb)  # 9**10 leaves if expanded; each node is visited once
    assert [line.split(": ")[1] for line in lines] == list(names)
    assert errors("model: m\ngate: &g {<<: *g, alpha: 2}\n") == [
        "plan.yaml:2:26: gate.alpha: Input should be less than 1"
    ]
    assert errors("model: m\nchecks: &c {expectations: [*c]}\n") == [
        "plan.yaml:2:9: checks.expectations.0: Input should be a valid string"
    ]
