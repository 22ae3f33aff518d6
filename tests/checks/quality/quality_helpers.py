"""Profiles of small hand-made tables, and lookups into the findings they give."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pyarrow as pa

from steward.checks.quality import Expectation, QualityPolicy, check_quality
from steward.findings import Finding
from steward.profile import Profile, profile
from steward.schema import Schema, infer_schema


def profiles(
    reference: pa.Table, current: pa.Table, schema: Schema | None = None
) -> tuple[Profile, Profile]:
    """Profile the reference, then the current data against it over their shared columns."""
    schema = schema or infer_schema(reference)
    ref = profile(reference, schema)
    shared = Schema(columns=tuple(c for c in schema if c.name in current.column_names))
    return ref, profile(current.select(shared.names), shared, reference=ref)


def run(
    reference: pa.Table,
    current: pa.Table,
    *,
    schema: Schema | None = None,
    own_schema: bool = False,
    policy: QualityPolicy | None = None,
    expectations: Sequence[Expectation] = (),
) -> list[Finding]:
    """All quality findings; ``own_schema`` also passes the current data's inferred schema."""
    ref, cur = profiles(reference, current, schema)
    current_schema = infer_schema(current) if own_schema else None
    return check_quality(
        ref, cur, current_schema=current_schema, policy=policy, expectations=expectations
    )


def one(findings: list[Finding], check: str, column: str | None = None) -> Finding:
    """The single finding of ``quality.<check>`` for ``column``."""
    hits = [f for f in findings if f.check == f"quality.{check}" and f.column == column]
    assert len(hits) == 1, f"{len(hits)} findings for {check} on {column}: {findings}"
    return hits[0]


def problems(findings: list[Finding]) -> list[tuple[str, str | None, str]]:
    return [(f.check, f.column, f.verdict.value) for f in findings if f.failed]


def verdict(finding: Finding) -> str:
    return finding.verdict.value


def column(values: list[Any], type_: pa.DataType | None = None) -> pa.Array:
    return pa.array(values, type=type_)
