"""Per-row errors: what the segment checks compare inside and outside a slice.

A classifier's row error is 1 when the prediction differs from the target, else 0; a
regressor's is ``|target - prediction|``. Rows without a target or a prediction are left
out (their labels have not arrived). Callers may hand their own per-row errors instead,
such as a label-free estimate of each row's error.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from steward._exceptions import CheckError
from steward.schema import Column, Kind, Role, Schema, align


@dataclass(frozen=True)
class RowErrors:
    """One error per row (NaN where unknown), whether they are 0/1, and the metric's name."""

    values: np.ndarray
    binary: bool
    metric: str

    @property
    def valid(self) -> np.ndarray:
        return np.isfinite(self.values)


def row_errors(table: pa.Table, schema: Schema, errors: np.ndarray | None = None) -> RowErrors:
    """The given ``errors``, or errors derived from the target and prediction columns."""
    if errors is not None:
        return given_errors(errors, table.num_rows)
    target, prediction = _model_columns(table, schema)
    aligned = align(table.select([target.name, prediction.name]), schema)
    if target.kind in (Kind.CATEGORICAL, Kind.BOOLEAN):
        wrong = _mismatch(aligned.column(target.name), aligned.column(prediction.name))
        return RowErrors(wrong, binary=True, metric="error rate")
    if target.kind is Kind.NUMERIC:
        truth = _floats(aligned.column(target.name), target.name)
        guess = _floats(aligned.column(prediction.name), prediction.name)
        return RowErrors(np.abs(truth - guess), binary=False, metric="mean absolute error")
    raise CheckError(
        f"target column {target.name!r} is {target.kind.value}; segment errors need a "
        "categorical, boolean or numeric target"
    )


def given_errors(errors: np.ndarray, rows: int) -> RowErrors:
    """Validate caller-supplied per-row errors (NaN marks rows without one)."""
    values = np.asarray(errors, dtype=np.float64).reshape(-1)
    if len(values) != rows:
        raise CheckError(f"errors has {len(values)} values for {rows} rows; give one per row")
    finite = values[np.isfinite(values)]
    binary = bool(len(finite)) and bool(np.isin(finite, (0.0, 1.0)).all())
    return RowErrors(values, binary=binary, metric="error rate" if binary else "mean error")


def estimated_errors(table: pa.Table, schema: Schema) -> np.ndarray:
    """Each row's expected error from a calibrated binary score, before labels arrive.

    A row predicted positive is wrong with probability ``1 - score``, a row predicted
    negative with probability ``score`` (the assumption CBPE makes: calibrated scores).
    Without a 0/1 prediction column the decision threshold is taken to be 0.5.
    """
    score = schema.first(Role.SCORE)
    if score is None or score.name not in table.column_names:
        raise CheckError("estimated errors need a score column (role 'score'); there is none")
    p = _floats(table.column(score.name), score.name)
    positive = _positive_prediction(table, schema, p)
    return np.where(positive, 1.0 - p, p)


def _positive_prediction(table: pa.Table, schema: Schema, score: np.ndarray) -> np.ndarray:
    prediction = schema.first(Role.PREDICTION)
    if prediction is None or prediction.name not in table.column_names:
        return score >= 0.5
    column = table.column(prediction.name)
    if not (pa.types.is_integer(column.type) or pa.types.is_boolean(column.type)):
        return score >= 0.5
    return _floats(column, prediction.name) == 1.0


def _model_columns(table: pa.Table, schema: Schema) -> tuple[Column, Column]:
    target, prediction = schema.first(Role.TARGET), schema.first(Role.PREDICTION)
    if target is None or target.name not in table.column_names:
        raise CheckError(
            "segment errors need a target column (role 'target') with labels; there is none "
            "— pass errors=... (for example estimated_errors(table, schema)) instead"
        )
    if prediction is None or prediction.name not in table.column_names:
        hint = " (a score column is not enough: mark the predicted label)"
        score = schema.first(Role.SCORE) is not None
        raise CheckError(
            "segment errors need a prediction column (role 'prediction'); there is none"
            + (hint if score else "")
        )
    return target, prediction


def _mismatch(truth: pa.ChunkedArray, guess: pa.ChunkedArray) -> np.ndarray:
    """1.0 where the labels differ, 0.0 where they agree, NaN where either is missing."""
    if _is_number(truth.type) and _is_number(guess.type):
        a, b = _floats(truth, "target"), _floats(guess, "prediction")
        return np.where(np.isnan(a) | np.isnan(b), np.nan, (a != b).astype(np.float64))
    a, b = pc.cast(truth, pa.string()), pc.cast(guess, pa.string())
    differ = pc.cast(pc.not_equal(a, b), pa.float64())
    return np.asarray(pc.fill_null(differ, np.nan).to_numpy(zero_copy_only=False), dtype=float)


def _is_number(typ: pa.DataType) -> bool:
    return pa.types.is_integer(typ) or pa.types.is_floating(typ) or pa.types.is_boolean(typ)


def _floats(column: pa.ChunkedArray, name: str) -> np.ndarray:
    """The column as float64 with NaN where a value is missing."""
    try:
        numbers = pc.cast(column, pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise CheckError(f"column {name!r} holds values that are not numbers") from exc
    filled = pc.fill_null(numbers, np.nan)
    return np.asarray(filled.to_numpy(zero_copy_only=False), dtype=np.float64)
