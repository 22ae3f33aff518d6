"""What a report checks: the drift policy, quality bounds, expectations and windows.

Plain data validated by pydantic, read from YAML or a dict; a model's maintenance plan
embeds it under ``checks``.

>>> CheckPlan.model_validate({"drift": {"fdr": 0.01}, "windows": {"every": "1W"}}).windows.every
'1W'
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from steward._exceptions import PlanError
from steward.checks.policy import DriftPolicy
from steward.checks.quality import QualityPolicy


class WindowPolicy(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    every: int | str | None = None
    k: int = Field(default=3, ge=1)
    n: int = Field(default=4, ge=1)


class CheckPlan(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    drift: DriftPolicy = Field(default_factory=DriftPolicy)
    quality: QualityPolicy = Field(default_factory=QualityPolicy)
    expectations: list[str] = Field(default_factory=list)
    windows: WindowPolicy = Field(default_factory=WindowPolicy)

    @classmethod
    def load(cls, source: CheckPlan | Mapping[str, Any] | str | Path | None) -> CheckPlan:
        """From a plan object, a dict, or a YAML file; a full plan's ``checks`` is used."""
        if source is None:
            return cls()
        if isinstance(source, CheckPlan):
            return source
        checks = getattr(source, "checks", None)
        if isinstance(checks, CheckPlan):
            return checks
        data = _read(source) if isinstance(source, (str, Path)) else source
        if isinstance(data, Mapping) and isinstance(data.get("checks"), Mapping):
            data = data["checks"]
        try:
            return cls.model_validate(data or {})
        except ValidationError as exc:
            raise PlanError(f"invalid plan: {_errors(exc)}") from exc


def _read(path: str | Path) -> Any:
    try:
        return yaml.safe_load(Path(path).read_text())
    except FileNotFoundError as exc:
        raise PlanError(f"plan file not found: {path}") from exc
    except yaml.YAMLError as exc:
        raise PlanError(f"plan file {path} is not valid YAML: {exc}") from exc


def _errors(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
