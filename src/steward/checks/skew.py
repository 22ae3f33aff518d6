"""Training–serving skew: the same model fed different data in training and in serving.

Three views, from coarse to exact:

- :func:`check_distribution_skew` — serving vs training *distributions*: the drift verdict
  with stricter relevance bars, findings named ``skew.<test>``;
- :func:`row_skew` — the *same entities* (joined by id) with different feature values:
  ``skew.row_mismatch`` per column and ``skew.row_join`` for the join itself;
- :func:`preprocessing_parity` — raw training rows replayed through the serving
  preprocessing callable must give the training features back: ``skew.preprocessing``.

>>> import pyarrow as pa
>>> training = pa.table({"id": [1, 2, 3], "x": [1.0, 2.0, 3.0]})
>>> serving = pa.table({"id": [3, 2, 1], "x": [3.0, 2.5, 1.0]})
>>> [(f.check, f.statistic) for f in row_skew(training, serving, id="id")]
[('skew.row_join', 1.0), ('skew.row_mismatch', 0.3333333333333333)]
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from steward._exceptions import CheckError, InputError, StewardError, UnknownColumn
from steward.checks.drift_verdict import check_drift
from steward.checks.policy import ColumnPolicy, DriftPolicy
from steward.findings import Finding, Verdict
from steward.io import to_arrow
from steward.profile import Profile
from steward.profile.categorical import category_strings

SKEW_POLICY = DriftPolicy(
    numeric=ColumnPolicy(test="ks", effect="wasserstein", min_effect=0.05),
    text=ColumnPolicy(test="ks", effect="wasserstein", min_effect=0.05),
    categorical=ColumnPolicy(test="chi_square", effect="jensen_shannon", min_effect=0.025),
    boolean=ColumnPolicy(test="z_test", effect="jensen_shannon", min_effect=0.025),
)
"""The drift policy for skew: half the drift relevance bars (same pipeline, same period)."""

MISSING = "(missing)"
NOT_PRODUCED = "column missing from the replayed output"
TOP_PAIRS = 5
EXAMPLES = 5
_ID, _TRAINING_ROW, _OTHER_ROW = "__steward_id", "__steward_training_row", "__steward_other_row"


# --- (a) distribution skew -------------------------------------------------------------------


def check_distribution_skew(
    training: Profile, serving: Profile, policy: DriftPolicy | None = None
) -> list[Finding]:
    """Per-column drift of serving data against training data, named ``skew.<test>``.

    The verdict is the drift verdict (significance after FDR control and relevance) under
    :data:`SKEW_POLICY` unless ``policy`` is given: serving data should match the training
    data more closely than a later production window matches its reference.
    """
    return [_as_skew(f) for f in check_drift(training, serving, policy or SKEW_POLICY)]


def _as_skew(finding: Finding) -> Finding:
    test = finding.check.split(".", 1)[1]
    message = finding.message.replace(" drifted:", " skewed:", 1)
    details = {**finding.details, "compared": "serving vs training"}
    return replace(finding, check=f"skew.{test}", message=message, details=details)


# --- comparing two aligned columns ------------------------------------------------------------


@dataclass(frozen=True)
class Bars:
    """Tolerances on values and the shares of differing rows that warn and fail."""

    rtol: float
    atol: float
    warn_share: float
    fail_share: float

    def verdict(self, share: float) -> Verdict:
        if share > self.fail_share:
            return Verdict.FAIL
        return Verdict.WARN if share > self.warn_share else Verdict.OK


@dataclass(frozen=True)
class Difference:
    """Which rows of two aligned columns differ, and how."""

    differ: np.ndarray  # bool per row
    details: dict[str, Any]

    @property
    def share(self) -> float:
        return float(self.differ.mean()) if len(self.differ) else 0.0


def compare_columns(
    name: str, training: pa.ChunkedArray, other: pa.ChunkedArray, rtol: float, atol: float
) -> Difference:
    """Row by row: numbers within tolerance (missing equals missing, NaN equals NaN),
    anything else exactly as labels; a missing value never equals a present one."""
    if _is_number(training.type) and _is_number(other.type):
        return _compare_numbers(training, other, rtol, atol)
    try:
        return _compare_labels(training, other)
    except (pa.ArrowNotImplementedError, pa.ArrowInvalid) as exc:
        raise InputError(
            f"column {name!r} holds {training.type} / {other.type} values, which cannot be "
            "compared row by row; leave it out with columns=[...]"
        ) from exc


def _is_number(typ: pa.DataType) -> bool:
    return bool(pa.types.is_integer(typ) or pa.types.is_floating(typ) or pa.types.is_decimal(typ))


def _floats(column: pa.ChunkedArray) -> np.ndarray:
    values = pc.cast(column, pa.float64()).to_numpy(zero_copy_only=False)
    return np.asarray(values, dtype=np.float64)  # nulls are NaN


def _compare_numbers(
    training: pa.ChunkedArray, other: pa.ChunkedArray, rtol: float, atol: float
) -> Difference:
    x, y = _floats(training), _floats(other)
    missing_x, missing_y = np.isnan(x), np.isnan(y)
    same = (missing_x & missing_y) | np.isclose(x, y, rtol=rtol, atol=atol)
    differ = ~same
    both = differ & np.isfinite(x) & np.isfinite(y)
    gaps = y[both] - x[both]
    details = {
        "compared_as": "numeric",
        "mean_abs_diff": float(np.abs(gaps).mean()) if len(gaps) else None,
        "max_abs_diff": float(np.abs(gaps).max()) if len(gaps) else None,
        "mean_diff": float(gaps.mean()) if len(gaps) else None,
        "missing_mismatch": int(np.count_nonzero(missing_x != missing_y)),
    }
    return Difference(differ, details)


def _compare_labels(training: pa.ChunkedArray, other: pa.ChunkedArray) -> Difference:
    a, b = _labels(training), _labels(other)
    valid_a, valid_b = _valid(training), _valid(other)
    equal = np.asarray(pc.fill_null(pc.equal(a, b), False).to_numpy(zero_copy_only=False))
    differ = ~((~valid_a & ~valid_b) | (valid_a & valid_b & equal))
    details = {
        "compared_as": "exact",
        "missing_mismatch": int(np.count_nonzero(valid_a != valid_b)),
        "top_pairs": top_pairs(a, b, differ),
    }
    return Difference(differ, details)


def _labels(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """Values as text (``true``/``false``, ``3`` for 3.0), one string type for both sides."""
    return pa.chunked_array([pc.cast(category_strings(column.combine_chunks()), pa.large_string())])


def _valid(column: pa.ChunkedArray) -> np.ndarray:
    return np.asarray(column.is_valid().to_numpy(zero_copy_only=False), dtype=bool)


def top_pairs(a: pa.ChunkedArray, b: pa.ChunkedArray, differ: np.ndarray) -> list[dict[str, Any]]:
    """The most common (training → serving) value pairs among differing rows."""
    pairs = pa.table({"training": pc.fill_null(a, MISSING), "serving": pc.fill_null(b, MISSING)})
    counted = (
        pairs.filter(pa.array(differ))
        .group_by(["training", "serving"])
        .aggregate([([], "count_all")])
    )
    ranked = counted.sort_by(
        [("count_all", "descending"), ("training", "ascending"), ("serving", "ascending")]
    ).slice(0, TOP_PAIRS)
    return [
        {"training": r["training"], "serving": r["serving"], "count": r["count_all"]}
        for r in ranked.to_pylist()
    ]


def _examples(
    keys: pa.ChunkedArray | None,
    training: pa.ChunkedArray,
    other: pa.ChunkedArray,
    differ: np.ndarray,
) -> list[dict[str, Any]]:
    rows = np.flatnonzero(differ)[:EXAMPLES]
    picks = pa.array(rows, type=pa.int64())
    where = keys.take(picks).to_pylist() if keys is not None else rows.tolist()
    label = "id" if keys is not None else "row"
    return [
        {label: _plain(w), "training": _plain(t), "serving": _plain(s)}
        for w, t, s in zip(
            where, training.take(picks).to_pylist(), other.take(picks).to_pylist(), strict=True
        )
    ]


def _plain(value: Any) -> Any:
    """JSON-ready: numbers, strings, booleans and None stay; anything else becomes text."""
    return value if value is None or isinstance(value, (bool, int, float, str)) else str(value)


def _column_finding(
    check: str,
    name: str,
    training: pa.ChunkedArray,
    other: pa.ChunkedArray,
    keys: pa.ChunkedArray | None,
    bars: Bars,
) -> Finding:
    diff = compare_columns(name, training, other, bars.rtol, bars.atol)
    share, rows = diff.share, len(diff.differ)
    count = int(np.count_nonzero(diff.differ))
    verdict = bars.verdict(share)
    message = f"{name}: {count} of {rows} rows differ ({share:.2%})"
    if diff.details.get("mean_abs_diff") is not None:
        message += f", mean |Δ| {diff.details['mean_abs_diff']:.4g}"
    return Finding(
        check=check,
        column=name,
        statistic=share,
        verdict=verdict,
        threshold=bars.fail_share,
        message=message,
        details={
            **diff.details,
            "rows": rows,
            "differing": count,
            "warn_share": bars.warn_share,
            "rtol": bars.rtol,
            "atol": bars.atol,
            "examples": _examples(keys, training, other, diff.differ),
        },
    )


# --- joining two tables by id -----------------------------------------------------------------


@dataclass(frozen=True)
class Join:
    """Rows of two tables paired by id (every matching pair, as an inner join does)."""

    table: pa.Table  # _ID, training columns "t:<name>", other columns "o:<name>"
    summary: dict[str, Any]
    sides: tuple[str, str]

    def pair(self, name: str) -> tuple[pa.ChunkedArray, pa.ChunkedArray]:
        return self.table.column(f"t:{name}"), self.table.column(f"o:{name}")

    @property
    def keys(self) -> pa.ChunkedArray:
        return self.table.column(_ID)


def join_by_id(
    training: pa.Table,
    other: pa.Table,
    id: str,
    columns: list[str],
    sides: tuple[str, str] = ("training", "serving"),
) -> Join:
    """Inner-join on ``id``, counting null, duplicated and one-sided ids on each side."""
    left_ids, right_ids, cast = _join_keys(training.column(id), other.column(id), id)
    left = _keyed(training, left_ids, columns, "t", _TRAINING_ROW)
    right = _keyed(other, right_ids, columns, "o", _OTHER_ROW)
    try:
        joined = left.join(right, _ID, join_type="inner")
    except (pa.ArrowNotImplementedError, pa.ArrowInvalid) as exc:
        raise InputError(f"cannot join on id column {id!r}: {exc}") from exc
    joined = joined.sort_by(
        [(_ID, "ascending"), (_TRAINING_ROW, "ascending"), (_OTHER_ROW, "ascending")]
    )
    summary = {
        "joined_rows": joined.num_rows,
        "id_compared_as": cast,
        **_id_counts(left_ids, right_ids, sides),
    }
    return Join(joined, summary, sides)


def _join_keys(
    a: pa.ChunkedArray, b: pa.ChunkedArray, id: str
) -> tuple[pa.ChunkedArray, pa.ChunkedArray, str]:
    a, b = _decoded(a), _decoded(b)
    if a.type == b.type:
        return a, b, str(a.type)
    try:
        return _labels(a), _labels(b), "string"
    except (pa.ArrowNotImplementedError, pa.ArrowInvalid) as exc:
        raise InputError(
            f"id column {id!r} is {a.type} on one side and {b.type} on the "
            "other, and they cannot be compared"
        ) from exc


def _decoded(column: pa.ChunkedArray) -> pa.ChunkedArray:
    if pa.types.is_dictionary(column.type):
        return pc.cast(column, column.type.value_type)
    return column


def _keyed(
    table: pa.Table, ids: pa.ChunkedArray, columns: list[str], prefix: str, row: str
) -> pa.Table:
    arrays = {_ID: ids, row: pa.array(np.arange(table.num_rows))}
    arrays.update({f"{prefix}:{c}": table.column(c) for c in columns})
    return pa.table(arrays).filter(pc.is_valid(ids))


def _id_counts(
    left: pa.ChunkedArray, right: pa.ChunkedArray, sides: tuple[str, str]
) -> dict[str, int]:
    counts: dict[str, int] = {}
    for side, ids, others in ((sides[0], left, right), (sides[1], right, left)):
        valid = ids.drop_null()
        distinct = pc.unique(valid)
        repeated = pc.value_counts(valid).field("counts")
        counts[f"{side}_rows"] = len(ids)
        counts[f"{side}_null_ids"] = ids.null_count
        counts[f"{side}_duplicate_ids"] = int(pc.sum(pc.greater(repeated, 1)).as_py() or 0)
        counts[f"{side}_duplicate_rows"] = len(valid) - len(distinct)
        counts[f"{side}_only_ids"] = int(
            len(distinct)
            - pc.sum(pc.is_in(distinct, value_set=others.drop_null().unique())).as_py()
        )
        counts[f"{side}_ids"] = len(distinct)
    return counts


# --- (b) row-level skew -----------------------------------------------------------------------


def row_skew(
    training: pa.Table | Any,
    serving: pa.Table | Any,
    id: str,
    columns: list[str] | None = None,
    rtol: float = 1e-6,
    atol: float = 1e-9,
    *,
    warn_share: float = 0.0,
    fail_share: float = 0.01,
) -> list[Finding]:
    """Join serving rows to training rows by ``id`` and compare every shared column.

    Returns ``skew.row_join`` (the join: joined rows, ids on one side only, duplicated and
    null ids) and one ``skew.row_mismatch`` per column, whose statistic is the share of
    joined rows that differ: it warns above ``warn_share`` and fails above ``fail_share``.
    A duplicated id pairs every training row with every serving row of that id.
    """
    left, right = to_arrow(training), to_arrow(serving)
    names = _shared_columns(left, right, id, columns, ("training", "serving"))
    join = join_by_id(left, right, id, names)
    bars = Bars(rtol, atol, warn_share, fail_share)
    summary = _join_finding(
        "skew.row_join", join, _one_sided(left, right, id, names), covered="serving"
    )
    findings = [summary]
    findings += _joined_findings("skew.row_mismatch", join, names, bars)
    return findings


def _shared_columns(
    left: pa.Table,
    right: pa.Table,
    id: str | None,
    columns: list[str] | None,
    sides: tuple[str, str],
) -> list[str]:
    for table, side in ((left, sides[0]), (right, sides[1])):
        wanted = ([id] if id is not None else []) + list(columns or [])
        unknown = [c for c in wanted if c not in table.column_names]
        if unknown:
            raise UnknownColumn(
                f"unknown column(s) {unknown} in the {side} data; it has {table.column_names}"
            )
    if columns is not None:
        return list(columns)
    return [c for c in left.column_names if c != id and c in right.column_names]


def _one_sided(left: pa.Table, right: pa.Table, id: str, names: list[str]) -> dict[str, Any]:
    return {
        "columns": names,
        "training_only_columns": [
            c for c in left.column_names if c != id and c not in right.column_names
        ],
        "serving_only_columns": [
            c for c in right.column_names if c != id and c not in left.column_names
        ],
    }


def _join_finding(
    check: str, join: Join, extra: dict[str, Any], covered: str, strict: bool = False
) -> Finding:
    """The join as a finding: its statistic is the share of ``covered``'s ids matched."""
    s = join.summary
    matched = s[f"{covered}_ids"] - s[f"{covered}_only_ids"]
    statistic = matched / s[f"{covered}_ids"] if s[f"{covered}_ids"] else 0.0
    other = join.sides[1] if covered == join.sides[0] else join.sides[0]
    message = (
        f"{s['joined_rows']} joined rows; {matched} of {s[f'{covered}_ids']} {covered} ids "
        f"found in {other}; " + _id_problems(join)
    )
    return Finding(
        check=check,
        column=None,
        statistic=statistic,
        verdict=_join_verdict(join, strict),
        message=message,
        details={**s, **extra, "covered": covered},
    )


def _join_verdict(join: Join, strict: bool) -> Verdict:
    """Duplicated or null ids warn; with ``strict`` (every row must match, as in a replay)
    they fail, and so do ids on one side only. Nothing joined always fails."""
    kinds = ("duplicate_ids", "null_ids", *(("only_ids",) if strict else ()))
    problems = sum(join.summary[f"{side}_{kind}"] for side in join.sides for kind in kinds)
    if join.summary["joined_rows"] == 0 or (strict and problems):
        return Verdict.FAIL
    return Verdict.WARN if problems else Verdict.OK


def _id_problems(join: Join) -> str:
    (a, b), s = join.sides, join.summary
    return (
        f"ids only in {a}: {s[f'{a}_only_ids']}, only in {b}: {s[f'{b}_only_ids']}; "
        f"duplicated ids: {s[f'{a}_duplicate_ids']} / {s[f'{b}_duplicate_ids']}; "
        f"null ids: {s[f'{a}_null_ids']} / {s[f'{b}_null_ids']}"
    )


def _joined_findings(check: str, join: Join, names: list[str], bars: Bars) -> list[Finding]:
    if join.table.num_rows == 0:
        reason = "no rows share an id, so no values can be compared"
        return [
            Finding(
                check=check,
                column=name,
                statistic=None,
                verdict=Verdict.UNRELIABLE,
                message=f"not compared: {reason}",
                details={"reason": reason},
            )
            for name in names
        ]
    return [_column_finding(check, name, *join.pair(name), join.keys, bars) for name in names]


# --- (c) preprocessing parity -----------------------------------------------------------------


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
    return _column_finding(
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
        _join_finding(
            "skew.preprocessing_join", join, {"columns": names}, covered="features", strict=True
        )
    ]
    compared = iter(_joined_findings("skew.preprocessing", join, produced, bars))
    return findings + [next(compared) if c in produced else _not_produced(c) for c in names]
