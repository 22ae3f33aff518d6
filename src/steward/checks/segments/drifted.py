"""Drifted slices: where in feature space the current rows moved in.

The reference and current rows are pooled and each row's "error" is 1 for a current row;
the worst-segment search (:mod:`.worst`) then finds the slices holding a significantly
larger share of current rows than elsewhere, with the same false-discovery control, the
same preference for the simplest slice, and one slice per round.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pyarrow as pa

from steward._exceptions import CheckError
from steward.checks.segments._conditions import slice_columns
from steward.checks.segments._errors import RowErrors
from steward.checks.segments.worst import build_search, check_arguments, q_text, run_search
from steward.findings import Finding, Verdict
from steward.io import to_arrow
from steward.schema import Schema


def find_drifted_segments(
    reference: pa.Table,
    current: pa.Table,
    schema: Schema,
    *,
    max_conditions: int = 2,
    min_support: float = 0.01,
    fdr: float = 0.05,
    top: int = 10,
    bins: int = 5,
    min_ratio: float = 1.1,
) -> list[Finding]:
    """``segment.worst`` findings for drift: slices holding more of the current rows.

    Each finding's details add how many rows of each side the slice holds and their
    shares (of the rows searched in its round).
    """
    check_arguments(max_conditions, min_support, fdr, top, bins)
    pooled, is_current = _pool(to_arrow(reference), to_arrow(current), schema)
    errs = RowErrors(is_current, binary=True, metric="share of current rows")
    search = build_search(pooled, schema, errs, bins, fdr, min_ratio)
    findings = run_search(search, max_conditions, min_support, top)
    return [_as_drift(f) for f in findings]


def _pool(reference: pa.Table, current: pa.Table, schema: Schema) -> tuple[pa.Table, np.ndarray]:
    names = [c.name for c in slice_columns(schema, reference) if c.name in current.column_names]
    if not names:
        raise CheckError("no feature columns shared by the reference and current data")
    both = [reference.select(names), current.select(names)]
    pooled = pa.concat_tables(both, promote_options="permissive")
    flags = np.concatenate([np.zeros(reference.num_rows), np.ones(current.num_rows)])
    return pooled, flags


def _as_drift(finding: Finding) -> Finding:
    """Say how much of each side's rows the slice holds (of the rows searched that round)."""
    if finding.verdict is not Verdict.FAIL:
        return finding
    d = finding.details
    rows = d["rows_searched"]
    current_in = round(d["rows"] * d["inside"])
    current_all = current_in + round((rows - d["rows"]) * d["outside"])
    shares = {
        "current_rows": current_in,
        "reference_rows": d["rows"] - current_in,
        "current_share": current_in / current_all,
        "reference_share": (d["rows"] - current_in) / (rows - current_all),
    }
    where = " and ".join(d["conditions"])
    message = (
        f"{where}: {shares['current_share']:.1%} of current rows vs "
        f"{shares['reference_share']:.1%} of reference rows ({d['test']}, q={q_text(d['q_value'])})"
    )
    return replace(finding, details={**d, **shares}, message=message)
