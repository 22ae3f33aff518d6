"""The report: findings of one comparison or of a window series, and its renderings."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from steward.checks.plan import CheckPlan
from steward.findings import Finding, Verdict, clean
from steward.profile import Profile
from steward.report.columns import column_section
from steward.schema import Role
from steward.windows import Window

SCHEMA_VERSION = "1.0"


@dataclass
class Report:
    """Findings plus the profiles they came from.

    ``findings`` holds the whole-current comparison (``window=None``) and, when windowed,
    one set per window. ``persistence`` maps each drift-tested column to ``sustained``,
    ``transient`` or ``none`` over the windows.
    """

    reference: Profile
    current: Profile
    findings: list[Finding]
    plan: CheckPlan = field(default_factory=CheckPlan)
    windows: list[Window] = field(default_factory=list)
    persistence: dict[str, str] = field(default_factory=dict)
    created_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))

    def __repr__(self) -> str:
        s = self.summary
        return (
            f"<Report {s['verdict']}: {len(s['drifted_columns'])} drifted column(s), "
            f"{s['quality_problems']} quality problem(s), {len(self.windows)} window(s)>"
        )

    def drift_findings(self, window: int | None = None) -> list[Finding]:
        return [f for f in self.findings if f.family == "drift" and f.window == window]

    @property
    def drifted_columns(self) -> list[str]:
        """Columns failing drift on the whole current data, plus sustained ones."""
        overall = {f.column for f in self.drift_findings() if f.verdict is Verdict.FAIL}
        sustained = {c for c, s in self.persistence.items() if s == "sustained"}
        order = self.reference.schema.names
        return [name for name in order if name in overall | sustained]

    @property
    def summary(self) -> dict[str, Any]:
        drifted = self.drifted_columns
        tested = [f.column for f in self.drift_findings() if f.verdict is not Verdict.UNRELIABLE]
        features = {c.name for c in self.reference.schema if c.role is Role.FEATURE}
        tested_features = [c for c in tested if c in features]
        share = (
            sum(c in features for c in drifted) / len(tested_features) if tested_features else 0.0
        )
        quality = {(f.check, f.column) for f in self.findings if f.family == "quality" and f.failed}
        worst = max(
            (f.verdict for f in self.findings), key=lambda v: v.severity, default=Verdict.OK
        )
        if worst is Verdict.UNRELIABLE:
            worst = Verdict.OK
        if drifted and worst.severity < Verdict.FAIL.severity:
            worst = Verdict.FAIL
        return {
            "verdict": worst.value,
            "drifted_columns": drifted,
            "dataset_drift": bool(tested_features) and share >= self.plan.drift.dataset_drift_share,
            "drift_share": share,
            "columns_checked": len(tested),
            "quality_problems": len(quality),
            "windows": len(self.windows),
            "sustained": sorted(c for c, s in self.persistence.items() if s == "sustained"),
            "transient": sorted(c for c, s in self.persistence.items() if s == "transient"),
        }

    def to_dict(self) -> dict[str, Any]:
        from steward import __version__

        return clean(
            {
                "schema_version": SCHEMA_VERSION,
                "steward_version": __version__,
                "created_at": self.created_at.isoformat(timespec="seconds"),
                "summary": self.summary,
                "reference": {"rows": self.reference.rows},
                "current": {"rows": self.current.rows},
                "schema": self.reference.schema.to_dict(),
                "windows": [w.to_dict() for w in self.windows],
                "findings": [f.to_dict() for f in self.findings],
                "columns": self._columns(),
                "policy": self.plan.model_dump(mode="json"),
            }
        )

    def _columns(self) -> dict[str, Any]:
        drifted = set(self.drifted_columns)
        sections = {}
        for column in self.reference.schema:
            if column.role is Role.IGNORED:
                continue
            status = self.persistence.get(column.name, "none")
            if status == "none" and column.name in drifted:
                status = "drifted"
            sections[column.name] = column_section(column, self.reference, self.current, status)
        return sections

    def to_json(self, path: str | Path | None = None, indent: int | None = 2) -> str:
        text = json.dumps(self.to_dict(), indent=indent, allow_nan=False)
        if path is not None:
            Path(path).write_text(text)
        return text

    def to_html(self, path: str | Path | None = None) -> str:
        from steward.report.html import render_html

        text = render_html(self.to_dict())
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text

    def print(self, console: Any = None) -> None:
        """A summary on the terminal (Rich)."""
        from steward.report.terminal import render_terminal

        render_terminal(self.to_dict(), console)
