"""``compare``: reference vs current data (or a window series of it) into one report.

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> ref = {"x": rng.normal(size=2000), "c": rng.choice(["a", "b"], 2000)}
>>> cur = {"x": rng.normal(1.0, size=2000), "c": rng.choice(["a", "b"], 2000)}
>>> compare(ref, cur).summary["drifted_columns"]
['x']
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa

from steward._exceptions import InputError
from steward.analysis import Analyses, Options
from steward.checks.drift_verdict import check_drift
from steward.checks.plan import CheckPlan
from steward.checks.quality import check_quality, parse_expectation
from steward.findings import Finding, Verdict
from steward.io import to_arrow
from steward.labels import join_labels
from steward.profile import Profile, profile
from steward.report.report import Report
from steward.schema import Role, Schema, infer_schema
from steward.windows import Persistence, Window, classify, split

Progress = Callable[[str, int, int], None]


def compare(
    reference: Any,
    current: Any,
    schema: Schema | None = None,
    plan: CheckPlan | Mapping[str, Any] | str | Path | None = None,
    *,
    target: str | None = None,
    prediction: str | None = None,
    score: str | list[str] | None = None,
    timestamp: str | None = None,
    id: str | None = None,
    segment: str | list[str] | None = None,
    window: int | str | None = None,
    labels: Any = None,
    estimate: bool | None = None,
    multivariate: bool = True,
    outliers: bool | None = None,
    segments: bool | None = None,
    skew: Any = None,
    model: Any = None,
    progress: Progress | None = None,
) -> Report:
    """Compare ``current`` with ``reference`` (data, a path, or a stored :class:`Profile`).

    ``window`` (a row count or a period such as ``"1W"``) also cuts the current data into
    windows with findings per window and sustained/transient drift per column.

    ``labels`` (data with the id column and the target) are joined to ``current`` by id.
    ``estimate`` turns label-free performance estimates on or off (default: on when the
    model's outputs are known and labels are missing); ``outliers`` and ``segments``
    default to on when a target or score column is known; ``skew`` is the training data
    to compare the current (serving) data with; ``model`` (anything with ``predict``)
    gives permutation importances to "why did it change".
    """
    checks = CheckPlan.load(plan)
    roles = dict(
        target=target,
        prediction=prediction,
        score=score,
        timestamp=timestamp,
        id=id,
        segment=segment,
    )
    tell = progress or (lambda stage, done, total: None)
    ref_table = None if isinstance(reference, Profile) else to_arrow(reference, require_rows=True)
    ref_profile = _reference_profile(reference if ref_table is None else ref_table, schema, roles)
    schema = ref_profile.schema
    tell("reading current data", 0, 1)
    cur_table = to_arrow(current, require_rows=True)
    unmatched_labels = 0
    if labels is not None:
        cur_table, unmatched_labels = _join(cur_table, labels, schema)
    cur_schema = infer_schema(cur_table, **_known_roles(roles, cur_table))
    shared = Schema(columns=tuple(c for c in schema if c.name in cur_table.column_names))
    expectations = [parse_expectation(text) for text in checks.expectations]
    every = window if window is not None else checks.windows.every
    time_column = timestamp or _timestamp_name(schema)

    options = Options(estimate, multivariate, outliers, segments, skew, model)
    analyses = Analyses(ref_profile, ref_table, options).fit(cur_table)

    def judge(cur: Profile, table: pa.Table, index: int | None) -> list[Finding]:
        drift = check_drift(ref_profile, cur, checks.drift, index)
        quality = check_quality(
            ref_profile,
            cur,
            current_schema=cur_schema,
            policy=checks.quality,
            expectations=expectations,
        )
        quality = [f.with_window(index) for f in quality]
        if index is not None:
            quality = [f for f in quality if f.verdict is not Verdict.OK]
        return drift + quality + analyses.window(cur, table, index)

    if every is None:
        tell("profiling current data", 0, 1)
        cur_profile = profile(cur_table, shared, reference=ref_profile)
        tell("checking", 1, 1)
        findings = judge(cur_profile, cur_table, None)
        findings += analyses.overall(cur_profile, cur_table, findings, [])
        findings += _labels_note(unmatched_labels)
        return Report(ref_profile, cur_profile, findings, checks)
    parts, unplaced = split(cur_table, every, time_column if _by_time(every) or timestamp else None)
    windows: list[Window] = []
    profiles: list[Profile] = []
    findings: list[Finding] = []
    for done, (win, part) in enumerate(parts):
        tell("windows", done, len(parts))
        win_profile = profile(part, shared, reference=ref_profile)
        windows.append(win)
        profiles.append(win_profile)
        findings.extend(judge(win_profile, part, win.index))
    tell("windows", len(parts), len(parts))
    overall = _merge(profiles) if profiles else profile(cur_table, shared, reference=ref_profile)
    whole = judge(overall, cur_table, None)
    findings = whole + findings
    findings += analyses.overall(overall, cur_table, findings, [part for _, part in parts])
    findings += _labels_note(unmatched_labels)
    if unplaced:
        findings.append(_unplaced(unplaced, time_column))
    persistence = _persistence(findings, windows, Persistence(checks.windows.k, checks.windows.n))
    return Report(ref_profile, overall, findings, checks, windows, persistence)


def _join(current: pa.Table, labels: Any, schema: Schema) -> tuple[pa.Table, int]:
    key, target = schema.first(Role.ID), schema.first(Role.TARGET)
    if key is None:
        raise InputError("labels are joined by id: name the id column (--id)")
    return join_labels(current, labels, id=key.name, target=target.name if target else None)


def _labels_note(unmatched: int) -> list[Finding]:
    if not unmatched:
        return []
    return [
        Finding(
            check="quality.unmatched_labels",
            column=None,
            statistic=float(unmatched),
            verdict=Verdict.WARN,
            threshold=0.0,
            message=f"{unmatched} label(s) have an id with no prediction in the current data",
            details={"labels": unmatched},
        )
    ]


def _reference_profile(reference: Any, schema: Schema | None, roles: dict[str, Any]) -> Profile:
    if isinstance(reference, Profile):
        return reference
    table = to_arrow(reference, require_rows=True)
    schema = infer_schema(table, **roles) if schema is None else _with_roles(schema, roles)
    return profile(table, schema)


def _known_roles(roles: dict[str, Any], table: pa.Table) -> dict[str, Any]:
    def present(value: Any) -> Any:
        if isinstance(value, list):
            kept = [v for v in value if v in table.column_names]
            return kept or None
        return value if value in table.column_names else None

    return {k: present(v) for k, v in roles.items() if v is not None}


def _with_roles(schema: Schema, roles: dict[str, Any]) -> Schema:
    changes: dict[str, dict[str, Any]] = {}
    for role, names in roles.items():
        for name in [names] if isinstance(names, str) else names or []:
            changes[name] = {"role": Role(role)}
    return schema.override(**changes) if changes else schema


def _timestamp_name(schema: Schema) -> str | None:
    column = schema.first(Role.TIMESTAMP)
    return column.name if column else None


def _by_time(every: int | str) -> bool:
    return isinstance(every, str) and not every.strip().isdigit()


def _merge(profiles: list[Profile]) -> Profile:
    merged = profiles[0]
    for part in profiles[1:]:
        merged = merged.merge(part)
    return merged


def _persistence(
    findings: list[Finding], windows: list[Window], rule: Persistence
) -> dict[str, str]:
    flags: dict[str, list[bool]] = {}
    for finding in findings:
        if finding.family == "drift" and finding.window is not None and finding.column:
            flags.setdefault(finding.column, [False] * len(windows))
            flags[finding.column][finding.window] = finding.verdict is Verdict.FAIL
    return {column: classify(series, rule) for column, series in flags.items()}


def _unplaced(count: int, column: str | None) -> Finding:
    return Finding(
        check="quality.unwindowed_rows",
        column=column,
        statistic=float(count),
        verdict=Verdict.WARN,
        threshold=0.0,
        message=f"{count} row(s) have no {column} timestamp and belong to no window",
        details={"rows": count},
    )
