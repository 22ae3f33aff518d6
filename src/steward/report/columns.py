"""Per-column summaries and plot data for the report, read from profiles."""

from __future__ import annotations

from typing import Any

import numpy as np

from steward.checks.drift import Pair
from steward.checks.drift._base import proportions
from steward.profile import (
    CategoricalProfile,
    ColumnProfile,
    DatetimeProfile,
    KeyProfile,
    NumericProfile,
    Profile,
    TextProfile,
)
from steward.schema import Column, Kind

TOP_CATEGORIES = 20


def column_section(
    column: Column, reference: Profile, current: Profile, status: str
) -> dict[str, Any]:
    ref = reference.columns.get(column.name)
    cur = current.columns.get(column.name)
    section: dict[str, Any] = {
        "kind": column.kind.value,
        "role": column.role.value,
        "drift": status,
        "reference": summarise(ref) if ref is not None else None,
        "current": summarise(cur) if cur is not None else None,
    }
    if ref is None or cur is None:
        return section
    if isinstance(ref, (NumericProfile, TextProfile)):
        section["histogram"] = histogram(column, ref, cur)
    elif isinstance(ref, CategoricalProfile):
        section["categories"] = categories(column, ref, cur)
    return section


def summarise(col: ColumnProfile) -> dict[str, Any]:
    base: dict[str, Any] = {"rows": col.rows, "missing": col.missing}
    if isinstance(col, TextProfile):
        col = col.length
        base["length"] = True
    if isinstance(col, NumericProfile):
        m = col.moments
        base.update(
            mean=m.mean if m.n else None,
            std=m.std if m.n > 1 else None,
            min=col.minimum if m.n else None,
            max=col.maximum if m.n else None,
            nan=col.nans,
            inf=col.pos_inf + col.neg_inf,
            distinct=round(col.distinct),
        )
        if m.n:
            q = col.quantiles([0.05, 0.25, 0.5, 0.75, 0.95])
            base["quantiles"] = {"p05": q[0], "p25": q[1], "p50": q[2], "p75": q[3], "p95": q[4]}
    elif isinstance(col, CategoricalProfile):
        base.update(distinct=round(col.distinct), categories=len(col.counts))
    elif isinstance(col, KeyProfile):
        base.update(distinct=round(col.distinct), duplicates=col.duplicates)
    elif isinstance(col, DatetimeProfile) and col.rows > col.nulls:
        base.update(min_us=col.minimum, max_us=col.maximum)
    return base


def histogram(column: Column, ref: ColumnProfile, cur: ColumnProfile) -> dict[str, Any]:
    """Shares per coarse bin; outer bins reach to the smallest and largest value seen."""
    pair = Pair.of(column.name, column.kind, ref, cur)
    ref_counts, cur_counts = pair.coarse
    fine_edges = pair.ref.edges
    group = pair.grouping
    if group is None:
        inner = list(fine_edges)
    else:
        starts = np.flatnonzero(np.r_[True, group[1:-1][1:] != group[1:-1][:-1]])
        inner = [*fine_edges[starts].tolist(), float(fine_edges[-1])]
    low = min(pair.ref.minimum, pair.cur.minimum, inner[0])
    high = max(pair.ref.maximum, pair.cur.maximum, inner[-1])
    edges = [low, *inner, high]
    ref_share, cur_share = proportions(ref_counts), proportions(cur_counts)
    keep = [
        i
        for i in range(len(ref_share))
        if not (i in (0, len(ref_share) - 1) and ref_share[i] == 0 and cur_share[i] == 0)
    ]
    kept_edges = [edges[keep[0]], *[edges[i + 1] for i in keep]]
    return {
        "edges": kept_edges,
        "reference": ref_share[keep].tolist(),
        "current": cur_share[keep].tolist(),
        "of": "length" if column.kind is Kind.TEXT else "value",
    }


def categories(column: Column, ref: CategoricalProfile, cur: CategoricalProfile) -> dict[str, Any]:
    keys = list(dict.fromkeys([*ref.counts, *cur.counts]))
    ref_p = ref.probabilities(keys)
    cur_p = cur.probabilities(keys)
    order = np.argsort(-(ref_p[:-1] + cur_p[:-1]), kind="stable")[:TOP_CATEGORIES]
    rest = np.setdiff1d(np.arange(len(keys)), order)
    labels = [keys[i] for i in order]
    ref_share = [float(ref_p[i]) for i in order]
    cur_share = [float(cur_p[i]) for i in order]
    other_ref = float(ref_p[rest].sum() + ref_p[-1])
    other_cur = float(cur_p[rest].sum() + cur_p[-1])
    if other_ref or other_cur:
        labels.append("(other)")
        ref_share.append(other_ref)
        cur_share.append(other_cur)
    return {"labels": labels, "reference": ref_share, "current": cur_share}
