"""A finding: one result of one check, as plain data the report serialises."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace
from enum import Enum
from typing import Any


class Verdict(str, Enum):
    OK = "ok"
    WARN = "warn"
    FAIL = "fail"
    UNRELIABLE = "unreliable"

    @property
    def severity(self) -> int:
        return {"ok": 0, "unreliable": 1, "warn": 2, "fail": 3}[self.value]


@dataclass(frozen=True)
class Finding:
    """One check's result for one column (or the whole dataset) in one window.

    ``check`` is a stable ``family.name`` such as ``drift.ks`` or ``quality.missing_rate``.
    ``lower``/``upper`` bound ``statistic`` where it is an estimate with a band (metrics).
    """

    check: str
    column: str | None
    statistic: float | None
    verdict: Verdict
    threshold: float | None = None
    p_value: float | None = None
    effect_size: float | None = None
    window: int | None = None
    message: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    lower: float | None = None
    upper: float | None = None

    @property
    def family(self) -> str:
        return self.check.split(".", 1)[0]

    @property
    def failed(self) -> bool:
        return self.verdict in (Verdict.WARN, Verdict.FAIL)

    def with_window(self, window: int | None) -> Finding:
        return replace(self, window=window)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["verdict"] = self.verdict.value
        for key in ("statistic", "threshold", "p_value", "effect_size", "lower", "upper"):
            data[key] = clean_number(data[key])
        data["details"] = clean(data["details"])
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        return cls(**{**data, "verdict": Verdict(data["verdict"])})


def clean_number(value: Any) -> float | None:
    """JSON has no NaN or infinity: those become ``None``."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def clean(value: Any) -> Any:
    """Make nested details JSON-safe (NumPy scalars and arrays, NaN)."""
    import numpy as np

    if isinstance(value, dict):
        return {str(k): clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(v) for v in value]
    if isinstance(value, np.ndarray):
        return [clean(v) for v in value.tolist()]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return clean_number(value)
    if isinstance(value, Enum):
        return value.value
    return value
