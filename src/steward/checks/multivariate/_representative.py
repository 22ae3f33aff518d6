"""Is a profile's row sample a fair sample of the rows it summarises?

The multivariate checks trust the reservoir sample to stand for the window. Each column's
exact summary in the profile (category counts, moments) tells whether it does: a sample
whose category shares or mean sit far outside sampling noise of the profile's own numbers
is not a fair sample, and a check on it would compare the wrong rows. (The bottom-k sample
keys each row by a hash of its content, so identical rows enter or leave it together: on
data with many repeated rows, above the reservoir's capacity, it can hold only a few of
the distinct rows.)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from steward.checks.multivariate._encoder import float_values
from steward.profile import CategoricalProfile, NumericProfile, Profile
from steward.profile.categorical import category_strings
from steward.schema import Column

MAX_Z = 8.0  # a sample mean this many standard errors off is not sampling noise …
MIN_SHIFT = 0.25  # … nor one this many standard deviations off (a lone outlier drawn)
MIN_GAP = 0.1  # total-variation distance of category shares, before noise allowance


def unrepresentative(profile: Profile, columns: Sequence[Column], side: str) -> str | None:
    """Why ``profile``'s sample does not stand for its rows, or ``None`` when it does."""
    sample = profile.reservoir.rows
    if sample.num_rows >= profile.rows:
        return None  # the sample holds every row
    for column in columns:
        summary = profile.columns.get(column.name)
        gap = _gap(summary, sample.column(column.name))
        if gap:
            return (
                f"the {side} profile's sample of {sample.num_rows} rows does not stand for its "
                f"{profile.rows} rows: column {column.name!r} {gap} (many identical rows "
                "enter or leave the sample together)"
            )
    return None


def _gap(summary: object, values: pa.ChunkedArray) -> str | None:
    if isinstance(summary, CategoricalProfile):
        return _category_gap(summary, values)
    if isinstance(summary, NumericProfile):
        return _mean_gap(summary, values)
    return None


def _category_gap(summary: CategoricalProfile, values: pa.ChunkedArray) -> str | None:
    keys = list(summary.counts)
    full = summary.probabilities(keys)
    labels = category_strings(values.drop_null())
    if len(labels) == 0 or full.sum() == 0:
        return None
    counted = pc.value_counts(labels).to_pylist()
    found = {c["values"]: c["counts"] for c in counted}
    sample = np.array(
        [found.get(k, 0) for k in keys] + [len(labels) - sum(found.get(k, 0) for k in keys)],
        dtype=float,
    ) / len(labels)
    distance = 0.5 * float(np.abs(full - sample).sum())
    allowed = max(MIN_GAP, 3 * np.sqrt(len(keys) / len(labels)))
    return (
        f"has category shares {distance:.2f} apart (total variation)"
        if distance > allowed
        else None
    )


def _mean_gap(summary: NumericProfile, values: pa.ChunkedArray) -> str | None:
    x = float_values(values)
    x = x[np.isfinite(x)]
    m = summary.moments
    if len(x) < 2 or m.n < 2 or m.m2 <= 0:
        return None
    std = np.sqrt(m.m2 / m.n)
    shift = abs(float(x.mean()) - m.mean) / std
    z = shift * np.sqrt(len(x))
    if z > MAX_Z and shift > MIN_SHIFT:
        return f"has a sample mean {shift:.2f} standard deviations from the profile's"
    return None
