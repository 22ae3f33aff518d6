"""Array and byte encodings used when profiles are written to bytes."""

from __future__ import annotations

import base64
from typing import Any

import numpy as np


def encode_array(array: np.ndarray) -> dict[str, Any]:
    array = np.ascontiguousarray(array)
    return {"dtype": array.dtype.str, "data": base64.b64encode(array.tobytes()).decode()}


def decode_array(data: dict[str, Any]) -> np.ndarray:
    raw = base64.b64decode(data["data"])
    return np.frombuffer(raw, dtype=np.dtype(data["dtype"])).copy()


def encode_bytes(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def decode_bytes(text: str) -> bytes:
    return base64.b64decode(text)
