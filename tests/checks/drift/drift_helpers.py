"""Build reference/current profiles and the Pair a drift test sees, the way the checks do."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pyarrow as pa

from steward.checks.drift import Pair
from steward.profile import CategoricalProfile, NumericProfile, Profile, ProfileConfig, profile
from steward.schema import Column, Kind, Schema


def one_column_schema(kind: Kind | str, name: str = "v") -> Schema:
    return Schema(columns=(Column(name=name, kind=Kind(kind)),))


def profiles(
    ref_values: Any,
    cur_values: Any,
    kind: Kind | str,
    config: ProfileConfig | None = None,
    name: str = "v",
) -> tuple[Profile, Profile]:
    """Profile one column of reference values, then the current values against it."""
    schema = one_column_schema(kind, name)
    ref = profile(_table(name, ref_values), schema, config=config)
    cur = profile(_table(name, cur_values), schema, reference=ref)
    return ref, cur


def _table(name: str, values: Any) -> pa.Table:
    return pa.table(
        {name: values if isinstance(values, (pa.Array, pa.ChunkedArray)) else pa.array(values)}
    )


def pair_of(ref: Profile, cur: Profile, name: str = "v") -> Pair:
    """The Pair for one column, with reservoir samples for numeric columns."""
    kind = ref.schema[name].kind
    numeric = kind is Kind.NUMERIC
    ref_sample = ref.reservoir.numeric(name) if numeric else None
    cur_sample = cur.reservoir.numeric(name) if numeric else None
    return Pair.of(name, kind, ref[name], cur[name], ref_sample, cur_sample)


def make_pair(
    ref_values: Any, cur_values: Any, kind: Kind | str, config: ProfileConfig | None = None
) -> Pair:
    return pair_of(*profiles(ref_values, cur_values, kind, config))


def with_current_counts(pair: Pair, counts: np.ndarray) -> Pair:
    """A pair whose current side has ``counts`` over ``pair.fine``'s bins.

    Numeric bins keep the reference's bin means (as the null distribution assumes);
    categorical counts go back to their category names.
    """
    if isinstance(pair.ref, NumericProfile):
        means = pair.ref.bin_means()
        cur = dataclasses.replace(pair.cur, counts=counts.astype(np.int64), sums=counts * means)
    else:
        assert isinstance(pair.cur, CategoricalProfile)
        named = dict(zip(pair.keys, counts.tolist(), strict=True))
        other = int(named.pop("(other)", 0))
        cur = dataclasses.replace(
            pair.cur, counts={k: int(v) for k, v in named.items()}, other=other
        )
    return Pair(
        pair.column, pair.kind, pair.ref, cur, pair.ref_sample, pair.cur_sample, pair.coarse_bins
    )


def finite(values: Any) -> np.ndarray:
    array = np.array([np.nan if v is None else v for v in values], dtype=float)
    return array[np.isfinite(array)]
