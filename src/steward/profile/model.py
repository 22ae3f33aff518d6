"""Model aggregates: what realised performance needs, kept as mergeable sums.

A :class:`ModelProfile` summarises the target, prediction and score columns of one batch so
that windows merge into days and weeks without rows, and every performance metric (accuracy,
ROC AUC, log loss, MAE, R² …) is computed from the merged aggregates alone.

- **Task**: classification when the target's kind is categorical or boolean, regression when
  it is numeric.
- **Labels** may be missing on part of a batch: ``labelled`` and ``unlabelled`` count rows
  with and without a target; every aggregate below covers labelled rows only.
- **Classes** are strings (``"true"``/``"false"`` for booleans). A profile built against a
  reference keeps the reference's classes; labels it never saw go to one *other* slot.
  At most :data:`MAX_CLASSES` classes are kept (the most frequent).
- **Binary** (at most two classes): the positive class is the one spelled ``1``, ``true`` or
  ``yes``, otherwise the larger of the two labels in sorted order (numeric order when both
  are numbers). One score column is the probability of the positive class.
- **Multiclass**: one score column per class, matched by name (``score_<label>``,
  ``proba_<label>``, ``prob_<label>`` or exactly ``<label>``); without a match for every
  class, score-based metrics are absent.
- Without a prediction column the prediction is ``score >= 0.5`` (binary) or the class of
  the largest score (multiclass).
- Scores must be probabilities: rows with a missing score are counted in
  ``missing_scores``, rows with a score outside ``[0, 1]`` (or infinite) in
  ``invalid_scores``; both are left out of the score-based aggregates.

Classification aggregates: a confusion matrix (true × predicted, the last row and column
being *other*), per-class score histograms on a fixed grid of :data:`SCORE_BINS` bins on
``[0, 1]`` (ROC AUC, average precision), score sums on :data:`CALIBRATION_BINS` coarser bins
(calibration error), and sums and sums of squares of per-row log loss and Brier score.
Regression aggregates: exactly mergeable moments of the target, the error ``y - ŷ``, the
absolute and the absolute percentage error (rows with ``y == 0`` are left out of the latter
and counted), and two cross sums for the band of R².

>>> import pyarrow as pa
>>> from steward.schema import infer_schema
>>> data = pa.table({"y": [0, 1, 1, 0], "score": [0.2, 0.9, 0.4, 0.1]})
>>> schema = infer_schema(data, target="y", score="score")
>>> m = ModelProfile.build(data, schema)
>>> m.task, m.classes.positive, m.classes.confusion[:2, :2].tolist()
('binary', '1', [[2, 0], [1, 1]])
"""

from __future__ import annotations

from dataclasses import astuple, dataclass, replace
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from steward._exceptions import ProfileMismatch
from steward.profile._codec import decode_array, encode_array
from steward.profile._moments import Moments
from steward.profile.categorical import category_strings
from steward.schema import Column, Kind, Role, Schema

SCORE_BINS = 1000
CALIBRATION_BINS = 10
MAX_CLASSES = 100
LOG_CLIP = 1e-15
SCORE_PREFIXES = ("score_", "proba_", "prob_", "")
_TRUE = frozenset({"1", "true", "t", "yes", "y"})
_FALSE = frozenset({"0", "false", "f", "no", "n"})
_POSITIVE = frozenset({"1", "true", "yes"})


# --- classification ------------------------------------------------------------------------


@dataclass(frozen=True)
class Layout:
    """What classification aggregates are laid out on; profiles merge only on equal layouts.

    ``score_classes[j]`` is the index of the class whose probability ``score_columns[j]``
    holds (binary: the one column holds the positive class's probability).
    """

    classes: tuple[str, ...]
    positive: str | None
    score_columns: tuple[str, ...]
    score_classes: tuple[int, ...]

    def to_dict(self) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in self.__dict__.items()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Layout:
        return cls(
            tuple(data["classes"]),
            data["positive"],
            tuple(data["score_columns"]),
            tuple(data["score_classes"]),
        )


_SUMMED = (
    "confusion",
    "unpredicted",
    "hist",
    "score_sums",
    "losses",
    "missing_scores",
    "invalid_scores",
)


@dataclass
class ClassCounts:
    """Classification aggregates of labelled rows; every count merges by addition.

    ``confusion[true, predicted]`` has a last row and column for *other* labels.
    ``hist[k, j, b]`` counts rows of true class ``k`` whose score ``j`` falls in grid bin
    ``b``; ``score_sums`` sums those scores on the coarse calibration bins. ``losses`` holds
    Σ log loss, Σ log loss², Σ Brier, Σ Brier² over rows with valid scores.
    """

    layout: Layout
    confusion: np.ndarray
    unpredicted: int
    hist: np.ndarray
    score_sums: np.ndarray
    losses: np.ndarray
    missing_scores: int = 0
    invalid_scores: int = 0

    @property
    def classes(self) -> tuple[str, ...]:
        return self.layout.classes

    @property
    def positive(self) -> str | None:
        return self.layout.positive

    @property
    def score_columns(self) -> tuple[str, ...]:
        return self.layout.score_columns

    @property
    def score_classes(self) -> tuple[int, ...]:
        return self.layout.score_classes

    @property
    def scored(self) -> int:
        """Labelled rows of a known class with valid scores."""
        return int(self.hist[:, 0, :].sum()) if self.score_columns else 0

    def merge(self, other: ClassCounts) -> ClassCounts:
        if self.layout != other.layout:
            raise ProfileMismatch(
                "cannot merge model profiles with different classes or score columns "
                f"({list(self.classes)} vs {list(other.classes)}); profile both against "
                "the same reference"
            )
        return replace(self, **{k: getattr(self, k) + getattr(other, k) for k in _SUMMED})

    def to_dict(self) -> dict[str, Any]:
        return {"layout": self.layout.to_dict(), **{k: _encode(getattr(self, k)) for k in _SUMMED}}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ClassCounts:
        return cls(Layout.from_dict(data["layout"]), **{k: _decode(data[k]) for k in _SUMMED})


def _encode(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return {**encode_array(value), "shape": list(value.shape)}
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        return decode_array(value).reshape(value["shape"])
    return value


def _class_counts(
    table: pa.Table, schema: Schema, target: Column, reference: ClassCounts | None
) -> tuple[np.ndarray, ClassCounts]:
    """The labelled mask and the classification aggregates of ``table``."""
    labels = Codes.of(table.column(target.name))
    prediction = schema.first(Role.PREDICTION)
    predicted = Codes.of(table.column(prediction.name)) if prediction is not None else None
    layout = (
        reference.layout
        if reference is not None
        else _layout(labels, predicted, schema, target.kind)
    )
    labelled = labels.codes >= 0
    truth = labels.indices(layout.classes)[labelled]
    scores = _scores(table, layout.score_columns, labelled)
    if predicted is not None:
        guess = predicted.indices(layout.classes)[labelled]
    else:
        guess = _from_scores(scores, layout)
    return labelled, _aggregate(layout, truth, guess, scores)


@dataclass(frozen=True)
class Codes:
    """A label column as codes into its distinct labels (-1: missing), read once.

    Labels are strings: ``"true"``/``"false"`` for booleans, whole floats without ``.0``;
    null and NaN are missing.
    """

    codes: np.ndarray
    names: tuple[str, ...]

    @classmethod
    def of(cls, column: pa.ChunkedArray) -> Codes:
        values = column.combine_chunks()
        encoded = values if pa.types.is_dictionary(values.type) else pc.dictionary_encode(values)
        codes = np.asarray(encoded.indices.fill_null(-1), dtype=np.int64)
        dictionary = encoded.dictionary
        names = category_strings(dictionary).to_pylist()
        if pa.types.is_floating(dictionary.type):
            nan = np.flatnonzero(np.asarray(pc.is_nan(dictionary), dtype=bool))
            codes[np.isin(codes, nan)] = -1
        return cls(codes, tuple(str(n) for n in names))

    def counts(self) -> dict[str, int]:
        """Rows per label (labels that read the same are counted together)."""
        per_code = np.bincount(self.codes[self.codes >= 0], minlength=len(self.names))
        counts: dict[str, int] = {}
        for name, count in zip(self.names, per_code.tolist(), strict=True):
            if count:
                counts[name] = counts.get(name, 0) + count
        return counts

    def indices(self, classes: tuple[str, ...]) -> np.ndarray:
        """Class index per row: ``len(classes)`` for unseen labels, -1 where missing."""
        lookup = np.array([*(_class_index(n, classes) for n in self.names), -1], dtype=np.int64)
        return lookup[self.codes]


def _class_index(label: str, classes: tuple[str, ...]) -> int:
    if label in classes:
        return classes.index(label)
    twin = _boolean_twin(label, classes)
    return classes.index(twin) if twin is not None else len(classes)


def _layout(labels: Codes, predicted: Codes | None, schema: Schema, kind: Kind) -> Layout:
    classes = ("false", "true") if kind is Kind.BOOLEAN else _vocabulary(labels, predicted)
    positive = _positive(classes) if len(classes) <= 2 else None
    columns, owners = _match_scores(schema, classes, positive)
    return Layout(classes, positive, columns, owners)


def _vocabulary(labels: Codes, predicted: Codes | None) -> tuple[str, ...]:
    """Target labels, plus predicted labels that mean none of them, at most MAX_CLASSES."""
    counts = labels.counts()
    if predicted is not None:
        known = set(counts)
        for label, count in predicted.counts().items():
            if label not in known and _boolean_twin(label, known) is None:
                counts[label] = counts.get(label, 0) + count
    kept = sorted(counts, key=lambda k: (-counts[k], k))[:MAX_CLASSES]
    return _sorted_labels(_complete_booleans(set(kept)))


def _complete_booleans(labels: set[str]) -> set[str]:
    """A 0/1 or false/true target keeps both classes even when one never occurs."""
    for pair in ({"0", "1"}, {"false", "true"}):
        if labels and labels <= pair:
            return labels | pair
    return labels


def _sorted_labels(labels: set[str]) -> tuple[str, ...]:
    try:
        return tuple(sorted(labels, key=float))
    except ValueError:
        return tuple(sorted(labels))


def _positive(classes: tuple[str, ...]) -> str | None:
    marked = [c for c in classes if c.strip().lower() in _POSITIVE]
    if len(marked) == 1:
        return marked[0]
    return classes[-1] if classes else None


def _boolean_twin(label: str, known: set[str] | tuple[str, ...]) -> str | None:
    """The known class that means the same truth value as ``label`` (``1`` ~ ``true``)."""
    meaning = _truth(label)
    if meaning is None:
        return None
    twins = [k for k in known if _truth(k) is meaning]
    return twins[0] if len(twins) == 1 else None


def _truth(label: str) -> bool | None:
    lowered = label.strip().lower()
    return True if lowered in _TRUE else False if lowered in _FALSE else None


def _match_scores(
    schema: Schema, classes: tuple[str, ...], positive: str | None
) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """Score columns and the class each one scores; empty when they do not fit."""
    names = [c.name for c in schema.with_role(Role.SCORE)]
    if not names or not classes:
        return (), ()
    if positive is not None:
        if len(names) == 1:
            return (names[0],), (classes.index(positive),)
        match = _score_column(names, positive)
        return ((match,), (classes.index(positive),)) if match else ((), ())
    matches = [_score_column(names, label) for label in classes]
    if any(m is None for m in matches):
        return (), ()
    return tuple(matches), tuple(range(len(classes)))  # type: ignore[arg-type]


def _score_column(names: list[str], label: str) -> str | None:
    for prefix in SCORE_PREFIXES:
        if f"{prefix}{label}" in names:
            return f"{prefix}{label}"
    return None


def _scores(table: pa.Table, columns: tuple[str, ...], rows: np.ndarray) -> np.ndarray:
    """Scores of the selected rows as an (n, columns) float array; NaN where missing."""
    if not columns:
        return np.empty((int(rows.sum()), 0))
    return np.column_stack([_floats(table.column(name))[rows] for name in columns])


def _floats(column: pa.ChunkedArray) -> np.ndarray:
    """A column as float64 with NaN for nulls; strings that are not numbers become NaN."""
    typ = column.type
    if pa.types.is_string(typ) or pa.types.is_large_string(typ):
        column = _parse(column)
    elif pa.types.is_dictionary(typ):
        column = _parse(pc.cast(column, pa.string()))
    try:
        values = pc.cast(column, pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return np.full(len(column), np.nan)
    return np.asarray(values.to_numpy(zero_copy_only=False), dtype=np.float64)


def _parse(column: pa.ChunkedArray) -> pa.ChunkedArray:
    trimmed = pc.utf8_trim_whitespace(column)
    number = pc.match_substring_regex(
        trimmed, r"^[+-]?(\d+\.?\d*([eE][+-]?\d+)?|\.\d+([eE][+-]?\d+)?|inf|nan)$", ignore_case=True
    )
    return pc.cast(pc.if_else(number, trimmed, pa.scalar(None, pa.string())), pa.float64())


def _from_scores(scores: np.ndarray, layout: Layout) -> np.ndarray:
    """Predicted class index from scores (-1 where the scores are unusable)."""
    guess = np.full(len(scores), -1, dtype=np.int64)
    if not layout.score_columns:
        return guess
    valid = _valid_scores(scores)
    if layout.positive is not None:
        positive = layout.classes.index(layout.positive)
        negative = 1 - positive if len(layout.classes) == 2 else len(layout.classes)
        guess[valid] = np.where(scores[valid, 0] >= 0.5, positive, negative)
    else:
        owners = np.asarray(layout.score_classes)
        guess[valid] = owners[np.argmax(scores[valid], axis=1)]
    return guess


def _valid_scores(scores: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        inside = (scores >= 0.0) & (scores <= 1.0)
    if not scores.shape[1]:
        return np.zeros(len(scores), dtype=bool)
    return np.asarray(inside.all(axis=1))


def _aggregate(
    layout: Layout, truth: np.ndarray, guess: np.ndarray, scores: np.ndarray
) -> ClassCounts:
    predicted = guess >= 0
    known = truth < len(layout.classes)
    valid = _valid_scores(scores) & known
    truth_v, scores_v = _subset(truth, valid), _subset(scores, valid)
    hist, sums = _score_histograms(layout, truth_v, scores_v)
    missing, invalid = _score_problems(scores, valid, known) if layout.score_columns else (0, 0)
    return ClassCounts(
        layout,
        _confusion(len(layout.classes) + 1, _subset(truth, predicted), _subset(guess, predicted)),
        int(len(guess) - predicted.sum()),
        hist,
        sums,
        _losses(layout, truth_v, scores_v),
        missing,
        invalid,
    )


def _subset(values: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """The selected rows, without a copy when all are selected (the usual case)."""
    return values if rows.all() else values[rows]


def _confusion(size: int, truth: np.ndarray, guess: np.ndarray) -> np.ndarray:
    cells = np.bincount(truth * size + guess, minlength=size * size)
    return cells.reshape(size, size).astype(np.int64)


def _score_problems(scores: np.ndarray, valid: np.ndarray, known: np.ndarray) -> tuple[int, int]:
    """Rows of known classes with a missing score, and with a score outside [0, 1]."""
    missing = np.isnan(scores).any(axis=1) & known
    return int(missing.sum()), int((known & ~valid & ~missing).sum())


def _score_histograms(
    layout: Layout, truth: np.ndarray, scores: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    k, s = len(layout.classes), len(layout.score_columns)
    fine = np.minimum((scores * SCORE_BINS).astype(np.int64), SCORE_BINS - 1)
    cell = truth[:, None] * s + np.arange(s)[None, :]
    hist = np.bincount((cell * SCORE_BINS + fine).ravel(), minlength=k * s * SCORE_BINS)
    coarse = cell * CALIBRATION_BINS + fine // (SCORE_BINS // CALIBRATION_BINS)
    sums = np.bincount(coarse.ravel(), weights=scores.ravel(), minlength=k * s * CALIBRATION_BINS)
    return (hist.astype(np.int64).reshape(k, s, SCORE_BINS), sums.reshape(k, s, CALIBRATION_BINS))


def _losses(layout: Layout, truth: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Σ log loss, Σ log loss², Σ Brier, Σ Brier² over rows with valid scores."""
    if not layout.score_columns or not len(truth):
        return np.zeros(4)
    if layout.positive is not None:
        hit = (truth == layout.classes.index(layout.positive)).astype(float)
        p_true = np.where(hit == 1.0, scores[:, 0], 1.0 - scores[:, 0])
        brier = (scores[:, 0] - hit) ** 2
    else:
        onehot = truth[:, None] == np.asarray(layout.score_classes)[None, :]
        p_true = scores[onehot]
        brier = ((scores - onehot) ** 2).sum(axis=1)
    log_loss = -np.log(np.clip(p_true, LOG_CLIP, 1.0 - LOG_CLIP))
    return np.array([log_loss.sum(), (log_loss**2).sum(), brier.sum(), (brier**2).sum()])


# --- regression ----------------------------------------------------------------------------


@dataclass
class ErrorMoments:
    """Regression aggregates over labelled rows with a finite prediction.

    ``error`` holds moments of ``y - ŷ``; ``percentage`` of ``|y - ŷ| / |y|`` over rows with
    ``y != 0`` (``zero_targets`` counts the others, and targets so near 0 that the ratio
    overflows). ``cross`` holds Σ e²·t and Σ e²·t² with
    ``t = y - shift``: what the band of R² needs besides the moments.
    """

    target: Moments
    error: Moments
    absolute: Moments
    percentage: Moments
    zero_targets: int
    unpredicted: int
    shift: float
    cross: np.ndarray

    @property
    def paired(self) -> int:
        return self.error.n

    @classmethod
    def build(cls, y: np.ndarray, y_hat: np.ndarray, shift: float | None) -> ErrorMoments:
        """Aggregates of labelled rows: targets ``y``, predictions ``y_hat`` (NaN if none).

        Values so large that their powers overflow make the metrics they feed absent
        rather than raising NumPy warnings.
        """
        paired = np.isfinite(y_hat)
        y, error = y[paired], y[paired] - y_hat[paired]
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            ratio = np.abs(error) / np.abs(y)
            usable = np.isfinite(ratio)  # y == 0 (or so close that the ratio overflows)
            shift = float(np.mean(y)) if shift is None and len(y) else (shift or 0.0)
            t, e2 = y - shift, error * error
            return cls(
                Moments.of(y),
                Moments.of(error),
                Moments.of(np.abs(error)),
                Moments.of(ratio[usable]),
                int((~usable).sum()),
                int((~paired).sum()),
                shift,
                np.array([(e2 * t).sum(), (e2 * t * t).sum()]),
            )

    def recentred(self, shift: float) -> np.ndarray:
        """The cross sums about another shift (exact binomial expansion)."""
        d = self.shift - shift
        squares = self.error.m2 + self.error.n * self.error.mean**2
        first, second = self.cross
        return np.array([first + d * squares, second + 2 * d * first + d * d * squares])

    def merge(self, other: ErrorMoments) -> ErrorMoments:
        keep = self if (self.paired, -self.shift) >= (other.paired, -other.shift) else other
        return ErrorMoments(
            self.target.merge(other.target),
            self.error.merge(other.error),
            self.absolute.merge(other.absolute),
            self.percentage.merge(other.percentage),
            self.zero_targets + other.zero_targets,
            self.unpredicted + other.unpredicted,
            keep.shift,
            self.recentred(keep.shift) + other.recentred(keep.shift),
        )

    def to_dict(self) -> dict[str, Any]:
        data = {k: list(astuple(getattr(self, k))) for k in _MOMENTS}
        counts = {k: getattr(self, k) for k in ("zero_targets", "unpredicted", "shift")}
        return {**data, **counts, "cross": [float(x) for x in self.cross]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ErrorMoments:
        target, error, absolute, percentage = (_moments(data[k]) for k in _MOMENTS)
        cross = np.asarray(data["cross"], dtype=float)
        return cls(
            target,
            error,
            absolute,
            percentage,
            data["zero_targets"],
            data["unpredicted"],
            data["shift"],
            cross,
        )


_MOMENTS = ("target", "error", "absolute", "percentage")


def _moments(values: list[float]) -> Moments:
    n, mean, m2, m3, m4 = values
    return Moments(int(n), mean, m2, m3, m4)


def _error_moments(
    table: pa.Table, schema: Schema, target: Column, reference: ErrorMoments | None
) -> tuple[np.ndarray, ErrorMoments]:
    y = _floats(table.column(target.name))
    labelled = np.isfinite(y)
    prediction = schema.first(Role.PREDICTION)
    y_hat = (
        _floats(table.column(prediction.name))
        if prediction is not None
        else np.full(len(y), np.nan)
    )
    shift = reference.shift if reference is not None else None
    return labelled, ErrorMoments.build(y[labelled], y_hat[labelled], shift)


# --- the model profile ---------------------------------------------------------------------


@dataclass
class ModelProfile:
    """Label coverage plus classification or regression aggregates of one target.

    ``task`` is ``"binary"``, ``"multiclass"`` or ``"regression"``; ``classes`` is set for
    the first two, ``errors`` for the last.
    """

    target: str
    task: str
    labelled: int
    unlabelled: int
    classes: ClassCounts | None = None
    errors: ErrorMoments | None = None

    @property
    def rows(self) -> int:
        return self.labelled + self.unlabelled

    @property
    def coverage(self) -> float:
        """Share of rows with a label (0 for no rows)."""
        return self.labelled / self.rows if self.rows else 0.0

    @classmethod
    def build(
        cls, table: pa.Table, schema: Schema, reference: ModelProfile | None = None
    ) -> ModelProfile | None:
        """Aggregates of ``table`` (aligned to ``schema``), or ``None`` without a target.

        With ``reference``, its classes, score columns and shift are reused so the result
        merges with other profiles of that reference by addition.
        """
        target = schema.first(Role.TARGET)
        if target is None or target.name not in table.column_names:
            return None
        if target.kind is Kind.NUMERIC:
            ref = reference.errors if reference is not None else None
            labelled, errors = _error_moments(table, schema, target, ref)
            return cls(target.name, "regression", *_split(labelled), errors=errors)
        if target.kind in (Kind.CATEGORICAL, Kind.BOOLEAN):
            ref_counts = reference.classes if reference is not None else None
            labelled, counts = _class_counts(table, schema, target, ref_counts)
            task = "binary" if len(counts.classes) <= 2 else "multiclass"
            return cls(target.name, task, *_split(labelled), classes=counts)
        return None

    def merge(self, other: ModelProfile) -> ModelProfile:
        if (self.target, self.task) != (other.target, other.task):
            raise ProfileMismatch(
                f"cannot merge model profiles of {self.task} target {self.target!r} and "
                f"{other.task} target {other.target!r}"
            )
        labelled, unlabelled = self.labelled + other.labelled, self.unlabelled + other.unlabelled
        classes = self.classes.merge(other.classes) if self.classes and other.classes else None
        errors = self.errors.merge(other.errors) if self.errors and other.errors else None
        return ModelProfile(self.target, self.task, labelled, unlabelled, classes, errors)

    def to_dict(self) -> dict[str, Any]:
        data = {k: getattr(self, k) for k in ("target", "task", "labelled", "unlabelled")}
        classes = self.classes.to_dict() if self.classes is not None else None
        errors = self.errors.to_dict() if self.errors is not None else None
        return {**data, "classes": classes, "errors": errors}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelProfile:
        classes, errors = data.get("classes"), data.get("errors")
        return cls(
            data["target"],
            data["task"],
            data["labelled"],
            data["unlabelled"],
            ClassCounts.from_dict(classes) if classes is not None else None,
            ErrorMoments.from_dict(errors) if errors is not None else None,
        )


def _split(labelled: np.ndarray) -> tuple[int, int]:
    n = int(labelled.sum())
    return n, len(labelled) - n
