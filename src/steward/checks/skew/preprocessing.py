"""Preprocessing parity: raw training rows replayed through the serving preprocessing must
give the training features back."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pyarrow as pa

from steward._exceptions import CheckError, InputError, StewardError, UnknownColumn
from steward.checks.skew._columns import Bars, column_finding
from steward.checks.skew._join import join_by_id, join_finding, joined_findings
from steward.findings import Finding, Verdict
from steward.io import to_arrow

NOT_PRODUCED = "column missing from the replayed output"


def preprocessing_parity(
    raw: Any,
    features: Any,
    preprocess: Callable[[Any], Any],
    id: str | None = None,
    rtol: float = 1e-6,
    *,
    atol: float = 1e-9,
    columns: list[str] | None = None,
    warn_share: float = 0.0,
    fail_share: float = 0.0,
) -> list[Finding]:
    """Replay raw training rows through ``preprocess`` and compare with the training features.

    ``preprocess`` gets a pandas DataFrame when ``raw`` is one, else an Arrow table; its
    output may be anything :func:`steward.io.to_arrow` reads. Rows align by ``id`` when
    given (the output keeps ``id``, or gets the raw rows' ids when it keeps their order),
    else by position. One ``skew.preprocessing`` finding per feature column; replaying the
    same rows through the same code should reproduce them, so any difference fails unless
    ``fail_share`` allows some. With ``id``, ``skew.preprocessing_join`` reports the join.
    """
    raw_table = to_arrow(raw)
    expected = to_arrow(features)
    if id is None and raw_table.num_rows != expected.num_rows:
        raise InputError(
            f"raw has {raw_table.num_rows} rows but features has {expected.num_rows}; rows "
            "align by position only when both hold the same rows (or pass id=...)"
        )
    replayed = replay(preprocess, raw if _is_pandas(raw) else raw_table)
    bars = Bars(rtol, atol, warn_share, fail_share)
    names = _parity_columns(expected, id, columns)
    if id is None:
        findings = _positional_parity(replayed, expected, names, bars, _name(preprocess))
    else:
        replayed = _with_ids(replayed, raw_table, id, _name(preprocess))
        findings = _parity_by_id(replayed, expected, id, names, bars)
    return [_unproduced(f, raw_table, explicit=columns is not None) for f in findings]


def replay(preprocess: Callable[[Any], Any], rows: Any) -> pa.Table:
    """The callable's output on ``rows`` as an Arrow table; its failures become CheckError."""
    name = _name(preprocess)
    try:
        output = preprocess(rows)
    except Exception as exc:
        raise CheckError(
            f"the preprocessing callable {name} raised {type(exc).__name__}: {exc}"
        ) from exc
    try:
        return to_arrow(output)
    except StewardError as exc:
        raise CheckError(
            f"the preprocessing callable {name} returned "
            f"{type(output).__name__}, which is not a table: {exc}"
        ) from exc


def _name(function: Callable[..., Any]) -> str:
    return getattr(function, "__qualname__", None) or repr(function)


def _is_pandas(data: Any) -> bool:
    pandas = sys.modules.get("pandas")
    return pandas is not None and isinstance(data, pandas.DataFrame)


def _parity_columns(expected: pa.Table, id: str | None, columns: list[str] | None) -> list[str]:
    names = list(columns) if columns is not None else [c for c in expected.column_names if c != id]
    unknown = [c for c in names if c not in expected.column_names]
    if unknown:
        raise UnknownColumn(
            f"unknown column(s) {unknown} in the features; they have {expected.column_names}"
        )
    return names


def _positional_parity(
    replayed: pa.Table, expected: pa.Table, names: list[str], bars: Bars, name: str
) -> list[Finding]:
    if replayed.num_rows != expected.num_rows:
        raise CheckError(
            f"the preprocessing callable {name} returned {replayed.num_rows} rows "
            f"for {expected.num_rows} raw rows; pass id=... to align by id"
        )
    return [_parity_finding(c, expected, replayed, None, bars) for c in names]


def _parity_finding(
    name: str, expected: pa.Table, replayed: pa.Table, keys: pa.ChunkedArray | None, bars: Bars
) -> Finding:
    if name not in replayed.column_names:
        return _not_produced(name)
    return column_finding(
        "skew.preprocessing", name, expected.column(name), replayed.column(name), keys, bars
    )


def _not_produced(name: str) -> Finding:
    return Finding(
        check="skew.preprocessing",
        column=name,
        statistic=1.0,
        verdict=Verdict.FAIL,
        threshold=None,
        message=f"{name}: the preprocessing callable did not return this column",
        details={"reason": NOT_PRODUCED},
    )


def _unproduced(finding: Finding, raw: pa.Table, explicit: bool) -> Finding:
    """A column the callable did not return but the raw rows hold is likely passed through:
    not compared (verdict unreliable) unless the caller named it in ``columns``."""
    passthrough = (
        finding.details.get("reason") == NOT_PRODUCED and finding.column in raw.column_names
    )
    if not passthrough or explicit:
        return finding
    reason = (
        f"the preprocessing callable did not return {finding.column!r}, which the raw "
        "data holds (passed through?); name it in columns=[...] to require it"
    )
    return replace(
        finding,
        statistic=None,
        verdict=Verdict.UNRELIABLE,
        message=f"{finding.column}: not compared: {reason}",
        details={"reason": reason},
    )


def _with_ids(replayed: pa.Table, raw: pa.Table, id: str, name: str) -> pa.Table:
    if id in replayed.column_names:
        return replayed
    if id in raw.column_names and raw.num_rows == replayed.num_rows:
        return replayed.append_column(id, raw.column(id))
    raise InputError(
        f"the output of the preprocessing callable {name} has no id column "
        f"{id!r} and does not keep the raw rows (one output row per raw row), "
        "so its rows cannot be aligned by id"
    )


def _parity_by_id(
    replayed: pa.Table, expected: pa.Table, id: str, names: list[str], bars: Bars
) -> list[Finding]:
    if id not in expected.column_names:
        raise UnknownColumn(
            f"unknown id column {id!r} in the features; they have {expected.column_names}"
        )
    produced = [c for c in names if c in replayed.column_names]
    join = join_by_id(expected, replayed, id, produced, ("features", "replayed"))
    findings = [
        join_finding(
            "skew.preprocessing_join", join, {"columns": names}, covered="features", strict=True
        )
    ]
    compared = iter(joined_findings("skew.preprocessing", join, produced, bars))
    return findings + [next(compared) if c in produced else _not_produced(c) for c in names]
