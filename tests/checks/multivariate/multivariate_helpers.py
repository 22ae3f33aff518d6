"""Tables with known joint structure, profiled the way reports profile them."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from steward.profile import Profile, profile
from steward.schema import Schema, infer_schema


def profiles(
    reference: pa.Table, current: pa.Table, schema: Schema | None = None
) -> tuple[Profile, Profile]:
    """Profile the reference, then the current rows against it."""
    schema = schema or infer_schema(reference)
    ref = profile(reference, schema)
    return ref, profile(current, schema, reference=ref)


def correlated(rng: np.random.Generator, rows: int, rho: float, extra: int = 1) -> pa.Table:
    """``x0``, ``x1`` standard normal with correlation ``rho``; ``extra`` independent normals."""
    x0 = rng.normal(size=rows)
    x1 = rho * x0 + np.sqrt(1 - rho**2) * rng.normal(size=rows)
    columns = {"x0": x0, "x1": x1}
    columns.update({f"x{i + 2}": rng.normal(size=rows) for i in range(extra)})
    return pa.table(columns)


def normals(
    rng: np.random.Generator, rows: int, columns: int = 4, shift: dict[str, float] | None = None
) -> pa.Table:
    """Independent standard normals ``x0…``, with mean shifts by column name."""
    shift = shift or {}
    return pa.table(
        {f"x{i}": rng.normal(shift.get(f"x{i}", 0.0), 1.0, rows) for i in range(columns)}
    )
