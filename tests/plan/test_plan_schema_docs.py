"""The plan's documentation cannot go stale: exported schema, example plan, doc snippets."""

from __future__ import annotations

import doctest
import json
import re
from pathlib import Path

import pytest

import steward.plan.loading
import steward.plan.schema
import steward.plan.versions
from steward.plan.loading import load_plan, validate_text
from steward.plan.schema import MaintenancePlan

ROOT = Path(__file__).resolve().parents[2]


def test_exported_json_schema_is_current() -> None:
    stored = json.loads((ROOT / "docs" / "plan-schema.json").read_text())
    assert stored == MaintenancePlan.model_json_schema(by_alias=True), (
        "docs/plan-schema.json is stale: run `steward plan schema > docs/plan-schema.json`"
    )


def test_schema_spells_keys_as_written_in_yaml() -> None:
    schema = MaintenancePlan.model_json_schema(by_alias=True)
    rule = schema["$defs"]["AlertRule"]["properties"]
    assert "for" in rule and "for_" not in rule
    assert schema["required"] == ["model"]
    assert schema["additionalProperties"] is False


def test_example_plan_validates_with_every_section() -> None:
    plan = load_plan(ROOT / "examples" / "plan.yaml")
    assert plan.model == "credit"
    assert plan.checks.drift.columns["region"].threshold == 0.2
    assert plan.checks.quality.threshold("out_of_range", "debt_ratio") == 0.01
    rules = {rule.name: rule for rule in plan.alerts.rules}
    assert rules["sustained-drift"].when.sustained is True
    accuracy = rules["accuracy-low"]
    assert (accuracy.when.metric, accuracy.when.op, accuracy.when.value) == (
        "performance.accuracy",
        "<",
        0.8,
    )
    assert accuracy.for_ == 2
    assert {route.type for route in plan.alerts.routes} == {"webhook", "log"}
    assert plan.retrain.entry_point == "examples.credit_training:train"
    assert plan.fallback.version == 1
    assert plan.gate.margin == 0.01 and plan.rollback.windows == 2


def test_doc_snippets_assemble_into_a_valid_plan() -> None:
    text = (ROOT / "docs" / "plan.md").read_text()
    sections = text.split("## A complete plan", 1)[1]
    blocks = re.findall(r"```yaml\n(.*?)```", sections, flags=re.DOTALL)
    assert len(blocks) == 9
    plan = validate_text("".join(blocks), filename="docs/plan.md")
    example = load_plan(ROOT / "examples" / "plan.yaml")
    assert plan == example


@pytest.mark.parametrize(
    "module", [steward.plan.schema, steward.plan.loading, steward.plan.versions]
)
def test_doctests(module: object) -> None:
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
