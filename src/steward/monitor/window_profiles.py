"""Logged predictions as Arrow rows and window profiles: one definition for service and monitor.

The service merges the profile of every committed batch into its window row; the monitor
rebuilds rows of closed windows for the checks that need rows (realised performance,
estimates, outliers). Both go through this module, so a window's stored profile is exactly
the profile of its rows.

A window's columns are the version schema's columns without the target (labels arrive
later), plus the model's outputs, named the way the core's model aggregates find them:

- the prediction: the schema's ``prediction`` column, else ``prediction``;
- the scores: the schema's ``score`` columns, else for a binary classifier one column
  ``score`` (the positive class's probability) and for a multiclass one ``score_<label>``
  per class. ``PredictionRow.scores`` lists probabilities in the model's class order.

Output columns the registered reference does not hold get fixed bins (scores: 100 equal
bins on ``[0, 1]``; the prediction: the target's bins or categories), so batch profiles
merge and the same edges serve every window of the version.

>>> import pyarrow as pa
>>> from steward.profile import profile
>>> from steward.schema import infer_schema
>>> ref = pa.table({"x": [0.1, 0.5, 0.9, 0.3], "y": [0, 1, 1, 0]})
>>> reference = profile(ref, infer_schema(ref, target="y"))
>>> layout = output_layout(reference.schema, [0, 1], reference)
>>> layout.prediction, layout.scores, layout.score_index
('prediction', ('score',), (1,))
>>> rows = [{"inputs": {"x": 0.2}, "output": 0, "scores": [0.8, 0.2], "row_id": "a"}]
>>> window_table(rows, layout).column_names
['x', 'prediction', 'score']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pyarrow as pa

from steward.profile import Profile, profile
from steward.profile.model import SCORE_PREFIXES, _positive, _sorted_labels
from steward.profile.numeric import NumericProfile
from steward.schema import Column, Kind, Role, Schema

PREDICTION = "prediction"
SCORE = "score"
SCORE_BINS = 100
OUTPUT_ROLES = (Role.PREDICTION, Role.SCORE)
ROW_ROLES = (Role.FEATURE, Role.SEGMENT, Role.CLIENT, Role.TIMESTAMP, Role.ID)


@dataclass(frozen=True)
class OutputLayout:
    """Where a version's inputs and outputs go in a window's rows.

    ``score_index[j]`` is the position in ``PredictionRow.scores`` of score column ``j``.
    ``schema`` is the window's schema (no target); ``labelled`` adds the target.
    """

    schema: Schema
    labelled: Schema
    prediction: str
    scores: tuple[str, ...]
    score_index: tuple[int, ...]

    @property
    def target(self) -> Column | None:
        return self.labelled.first(Role.TARGET)


def output_layout(
    schema: Schema, classes: Sequence[Any] | None, reference: Profile | None = None
) -> OutputLayout:
    """The window layout of a version with ``schema`` and model ``classes`` (None: regressor)."""
    target = schema.first(Role.TARGET)
    prediction = schema.first(Role.PREDICTION)
    pred_name = prediction.name if prediction is not None else PREDICTION
    scores, index = _score_columns(schema, classes, reference)
    inputs = [c for c in schema if c.role in ROW_ROLES]
    outputs = [prediction or _prediction_column(pred_name, target, classes)]
    outputs += [_score_column(name, schema) for name in scores]
    window = Schema(columns=tuple(inputs + outputs))
    labelled = Schema(columns=window.columns + ((target,) if target is not None else ()))
    return OutputLayout(window, labelled, pred_name, scores, index)


def _prediction_column(name: str, target: Column | None, classes: Sequence[Any] | None) -> Column:
    if target is not None:
        return Column(name=name, kind=target.kind, role=Role.PREDICTION, dtype=target.dtype)
    kind = Kind.CATEGORICAL if classes is not None else Kind.NUMERIC
    return Column(name=name, kind=kind, role=Role.PREDICTION)


def _score_column(name: str, schema: Schema) -> Column:
    if name in schema:
        return schema[name]
    return Column(name=name, kind=Kind.NUMERIC, role=Role.SCORE, dtype="double")


def _score_columns(
    schema: Schema, classes: Sequence[Any] | None, reference: Profile | None
) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """Score column names and the position of each one's class in the model's classes."""
    if not classes:
        return (), ()
    labels = [str(c) for c in classes]
    named = [c.name for c in schema.with_role(Role.SCORE)]
    if len(labels) <= 2:
        positive = _positive_label(labels, reference)
        index = labels.index(positive) if positive in labels else len(labels) - 1
        return (named[0] if named else SCORE,), (index,)
    if named:
        found = {f"{p}{label}": i for i, label in enumerate(labels) for p in SCORE_PREFIXES}
        matched = [(name, found[name]) for name in named if name in found]
        return tuple(n for n, _ in matched), tuple(i for _, i in matched)
    return tuple(f"{SCORE}_{label}" for label in labels), tuple(range(len(labels)))


def _positive_label(labels: list[str], reference: Profile | None) -> str | None:
    """The positive class as the core's model aggregates pick it."""
    model = reference.model if reference is not None else None
    if model is not None and model.classes is not None and model.classes.positive is not None:
        return model.classes.positive
    return _positive(_sorted_labels(set(labels)))


# --- rows ------------------------------------------------------------------------------


def window_table(
    predictions: Sequence[Any],
    layout: OutputLayout,
    labels: Mapping[str, Any] | None = None,
) -> pa.Table:
    """Arrow rows of logged predictions (``PredictionRow`` objects or dicts) under ``layout``.

    With ``labels`` (row id → label) the target column is added, null where unlabelled.
    """
    rows = [_as_dict(p) for p in predictions]
    schema = layout.labelled if labels is not None else layout.schema
    arrays = [_array(_values(rows, column, layout, labels), column) for column in schema]
    return pa.Table.from_arrays(arrays, names=schema.names)


def _as_dict(prediction: Any) -> dict[str, Any]:
    if isinstance(prediction, Mapping):
        return dict(prediction)
    keys = ("inputs", "output", "scores", "row_id")
    return {key: getattr(prediction, key) for key in keys}


def _values(
    rows: list[dict[str, Any]],
    column: Column,
    layout: OutputLayout,
    labels: Mapping[str, Any] | None,
) -> list[Any]:
    name = column.name
    if column.role is Role.TARGET and labels is not None:
        return [labels.get(str(r["row_id"])) for r in rows]
    if name == layout.prediction and column.role is Role.PREDICTION:
        return [_output(r.get("output"), name) for r in rows]
    if name in layout.scores:
        at = layout.score_index[layout.scores.index(name)]
        return [_score(r.get("scores"), at) for r in rows]
    if column.role is Role.ID:
        return [(r.get("inputs") or {}).get(name, r.get("row_id")) for r in rows]
    return [(r.get("inputs") or {}).get(name) for r in rows]


def _output(output: Any, name: str) -> Any:
    if isinstance(output, Mapping):
        return output.get(name, output.get(PREDICTION))
    return output


def _score(scores: Any, at: int) -> float | None:
    if not isinstance(scores, (list, tuple)) or at >= len(scores):
        return None
    value = scores[at]
    return None if value is None else float(value)


def _array(values: list[Any], column: Column) -> pa.Array:
    """Values as the reference's Arrow type where they fit, else as inferred, else text."""
    for typ in (_declared(column), _kind_type(column), None):
        try:
            return pa.array(values, type=typ) if typ is not None else pa.array(values)
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
            continue
    return pa.array([None if v is None else str(v) for v in values], type=pa.string())


def _declared(column: Column) -> pa.DataType | None:
    try:
        return pa.type_for_alias(column.dtype) if column.dtype else None
    except ValueError:
        return None


def _kind_type(column: Column) -> pa.DataType | None:
    return pa.float64() if column.kind is Kind.NUMERIC else None


# --- profiles --------------------------------------------------------------------------


def window_reference(reference: Profile, layout: OutputLayout) -> Profile:
    """``reference`` with fixed bins for the output columns it lacks (see the module doc)."""
    columns = dict(reference.columns)
    target = layout.target
    for column in layout.schema.with_role(*OUTPUT_ROLES):
        if column.name in columns:
            continue
        if column.role is Role.SCORE:
            columns[column.name] = _unit_bins()
        elif target is not None and target.name in reference.columns:
            columns[column.name] = reference.columns[target.name]
    return replace(reference, columns=columns)


def _unit_bins() -> NumericProfile:
    edges = np.linspace(0.0, 1.0, SCORE_BINS + 1)
    edges[-1] = np.nextafter(1.0, np.inf)
    return NumericProfile.build(np.empty(0), 0, edges, SCORE_BINS)


def profile_rows(
    predictions: Sequence[Any] | pa.Table,
    version_schema: Schema,
    reference_profile: Profile,
    classes: Sequence[Any] | None = None,
) -> Profile:
    """The window profile of logged predictions: what the service merges into a window row.

    ``predictions`` are ``PredictionRow`` objects (or dicts with their fields), or an Arrow
    table already laid out by :func:`window_table`. ``classes`` are the model's classes in
    ``PredictionRow.scores`` order (default: the reference's classes; ``[]`` for a
    regressor).
    """
    layout = output_layout(version_schema, _classes(classes, reference_profile), reference_profile)
    table = predictions if isinstance(predictions, pa.Table) else window_table(predictions, layout)
    return profile(table, layout.schema, reference=window_reference(reference_profile, layout))


def _classes(classes: Sequence[Any] | None, reference: Profile) -> Sequence[Any] | None:
    if classes is not None:
        return classes or None
    model = reference.model
    if model is not None and model.classes is not None:
        return list(model.classes.classes)
    return None
