"""Two aligned columns compared row by row, and the finding that reports their differences."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from steward._exceptions import InputError
from steward.findings import Finding, Verdict
from steward.profile.categorical import category_strings

MISSING = "(missing)"


TOP_PAIRS = 5


EXAMPLES = 5


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
    a, b = labels(training), labels(other)
    valid_a, valid_b = _valid(training), _valid(other)
    equal = np.asarray(pc.fill_null(pc.equal(a, b), False).to_numpy(zero_copy_only=False))
    differ = ~((~valid_a & ~valid_b) | (valid_a & valid_b & equal))
    details = {
        "compared_as": "exact",
        "missing_mismatch": int(np.count_nonzero(valid_a != valid_b)),
        "top_pairs": top_pairs(a, b, differ),
    }
    return Difference(differ, details)


def labels(column: pa.ChunkedArray) -> pa.ChunkedArray:
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


def column_finding(
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
