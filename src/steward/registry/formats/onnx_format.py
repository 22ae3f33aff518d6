"""ONNX models run with onnxruntime (no code runs on load).

One tensor input takes the features as a matrix in the version's order; several inputs
take one column each, by input name. skl2onnx classifiers give labels plus either a
ZipMap (one dict per row) or a probability tensor; the class order comes from the model
metadata (``classes``, a JSON list), the graph's ``classlabels_*`` attributes, or the
ZipMap keys.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from steward._exceptions import ArtifactError
from steward.registry.formats._base import (
    FORMATS,
    ArtifactFormat,
    LoadedModel,
    Prediction,
    empty_prediction,
    input_columns,
    library_errors,
    rejected_input,
    require,
    task_facts,
)
from steward.registry.formats._tabular import numeric_column, require_columns, string_column

NAME = "onnx"
DTYPES: dict[str, Any] = {
    "tensor(float)": np.float32,
    "tensor(double)": np.float64,
    "tensor(float16)": np.float16,
    "tensor(int64)": np.int64,
    "tensor(int32)": np.int32,
    "tensor(bool)": np.bool_,
    "tensor(string)": object,
}
LABEL_ATTRIBUTES = ("classlabels_strings", "classlabels_int64s", "classlabels_ints")


class OnnxModel:
    """An onnxruntime session plus how to feed it and read it (see :func:`load`)."""

    def __init__(self, session: Any, classes: list | None, features: list[str]) -> None:
        self.session = session
        self.format = NAME
        self.classes = classes
        self.features = features

    def predict(self, table: pa.Table) -> Prediction:
        feeds = self._feeds(table)
        if table.num_rows == 0:
            return empty_prediction(self.classes)
        with rejected_input(NAME):
            outputs = self.session.run(None, feeds)
        if not _is_classifier(self.session):
            return Prediction(_flat(outputs[0]), None)
        return self._classified(outputs)

    def _feeds(self, table: pa.Table) -> dict[str, np.ndarray]:
        require_columns(table, self.features)
        inputs = self.session.get_inputs()
        if len(inputs) == 1:
            return {inputs[0].name: _matrix(table, self.features, inputs[0].type)}
        return {i.name: _column(table, i.name, i.type).reshape(-1, 1) for i in inputs}

    def _classified(self, outputs: list[Any]) -> Prediction:
        labels, probabilities = np.asarray(outputs[0]).ravel(), outputs[1]
        if isinstance(probabilities, list):  # ZipMap: one {class: probability} per row
            classes = self.classes or list(probabilities[0])
            scores = np.array([[row[c] for c in classes] for row in probabilities])
        else:
            scores = np.asarray(probabilities).reshape(len(labels), -1)
        return Prediction(labels, scores.astype(np.float64))


def _matrix(table: pa.Table, names: list[str], kind: str) -> np.ndarray:
    columns = [_column(table, name, kind) for name in names]
    if not columns:
        return np.empty((table.num_rows, 0), dtype=DTYPES[kind])
    return np.column_stack(columns)


def _column(table: pa.Table, name: str, kind: str) -> np.ndarray:
    dtype = DTYPES[kind]
    if dtype is object:
        return string_column(table, name)
    return numeric_column(table, name, dtype)


def _flat(values: Any) -> np.ndarray:
    array = np.asarray(values)
    return array.ravel() if array.ndim == 2 and array.shape[1] == 1 else array


def _is_classifier(session: Any) -> bool:
    outputs = session.get_outputs()
    if any(o.type.startswith("seq(map(") for o in outputs):
        return True
    return len(outputs) >= 2 and len(outputs[1].shape or ()) == 2


def _session(path: Path) -> Any:
    ort = require("onnxruntime", "onnxruntime", NAME)
    with library_errors(NAME, path):
        return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def _check_inputs(session: Any) -> None:
    for item in session.get_inputs():
        if item.type not in DTYPES:
            raise ArtifactError(f"ONNX input {item.name!r} has unsupported type {item.type}")


def _classes(session: Any, path: Path) -> list | None:
    if not _is_classifier(session):
        return None
    listed = session.get_modelmeta().custom_metadata_map.get("classes")
    if listed:
        with library_errors(NAME):
            return list(json.loads(listed))
    return _graph_classes(path)


def _graph_classes(path: Path) -> list | None:
    """Class labels from the graph (ZipMap first, then any classifier node)."""
    try:
        import onnx
    except ImportError:
        return None  # the ZipMap keys will name them at predict time
    with library_errors(NAME):
        nodes = onnx.load(str(path), load_external_data=False).graph.node
    ordered = sorted(nodes, key=lambda node: node.op_type != "ZipMap")
    for node in ordered:
        for attribute in node.attribute:
            if attribute.name in LABEL_ATTRIBUTES:
                values = attribute.strings or attribute.ints
                return [v.decode() if isinstance(v, bytes) else int(v) for v in values]
    return None


def _width(session: Any) -> int | None:
    inputs = session.get_inputs()
    shape = inputs[0].shape if len(inputs) == 1 else None
    return shape[1] if shape and len(shape) == 2 and isinstance(shape[1], int) else None


def load(path: Path, features: list[str], *, trusted: bool = False) -> LoadedModel:
    """Open an ONNX model with onnxruntime on the CPU."""
    session = _session(path)
    _check_inputs(session)
    inputs = session.get_inputs()
    own = [i.name for i in inputs] if len(inputs) > 1 else None
    columns = input_columns(own, features, _width(session))
    return OnnxModel(session, _classes(session, path), columns)


def inspect(path: Path) -> dict[str, Any]:
    """Classification when the model has a probability output; regression for one number."""
    session = _session(path)
    if _is_classifier(session):
        return {"task": "classification", "classes": _classes(session, path)}
    numeric = session.get_outputs()[0].type in ("tensor(float)", "tensor(double)")
    return task_facts(None, regression=numeric)


FORMATS.register(NAME, ArtifactFormat(NAME, (".onnx",), False, load, inspect))
