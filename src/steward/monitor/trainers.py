"""Training entry points: the only code a maintenance plan can make Steward run.

A plan names its trainer as ``module:function`` (``retrain.entry_point``), but a name in a
plan is never imported on its own say-so. :func:`resolve_trainer` answers, in order:

1. a trainer the owner registered in this process (:func:`register_trainer`, or the
   ``@trainer("credit_training:train")`` decorator);
2. otherwise, only if the ``STEWARD_TRAINERS`` environment variable (a comma-separated
   allow-list of ``module:function``, set by whoever runs Steward) names it, the module is
   imported and the function taken;
3. otherwise a :class:`~steward._exceptions.TrainingError` saying how to register it.

A trainer is ``fn(data: pa.Table, context: TrainingContext) -> TrainedModel``: it gets the
recent labelled rows (feature columns plus the target column) and writes its artifact
under ``context.workdir``.

>>> @trainer("docs.example:train")
... def train(data, context):
...     return TrainedModel(path=context.workdir / "model.skops", format="skops")
>>> resolve_trainer("docs.example:train") is train
True
>>> unregister_trainer("docs.example:train")
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from steward._exceptions import TrainingError
from steward._registry import Registry
from steward.plan.schema import ENTRY_POINT

ALLOW_ENV = "STEWARD_TRAINERS"


@dataclass(frozen=True)
class TrainingContext:
    """What a trainer knows besides its data: which model, why, and where to write."""

    model: str
    target: str
    features: list[str]
    task: str
    classes: list[Any] | None
    parent_version: int | None
    trigger: str
    job_id: int
    workdir: Path  # an empty directory, removed after the artifact is registered
    now: datetime
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TrainedModel:
    """A trainer's result: the artifact it wrote, its format (None: detect), its metrics."""

    path: Path | str
    format: str | None = None
    metrics: dict[str, float] = field(default_factory=dict)


Trainer = Callable[[pa.Table, TrainingContext], TrainedModel]
TRAINERS = Registry[Trainer]("trainer")


def register_trainer(entry_point: str, fn: Trainer) -> Trainer:
    """Register ``fn`` under ``entry_point`` (``module:function``) for plans to name."""
    _check_entry_point(entry_point)
    if not callable(fn):
        raise TrainingError(f"trainer {entry_point!r} must be callable, got {type(fn).__name__}")
    if TRAINERS.get(entry_point) is fn:
        return fn  # a module imported twice registers the same function again
    return TRAINERS.register(entry_point, fn)


def trainer(entry_point: str) -> Callable[[Trainer], Trainer]:
    """Decorator form of :func:`register_trainer`."""

    def decorate(fn: Trainer) -> Trainer:
        return register_trainer(entry_point, fn)

    return decorate


def unregister_trainer(entry_point: str) -> None:
    """Forget a registered trainer (tests, or an owner replacing one)."""
    TRAINERS.pop(entry_point, None)


def allowed_entry_points() -> list[str]:
    """The entry points ``STEWARD_TRAINERS`` allows to be imported."""
    raw = os.environ.get(ALLOW_ENV, "")
    return [item.strip() for item in raw.split(",") if item.strip()]


def resolve_trainer(entry_point: str) -> Trainer:
    """The trainer for a plan's entry point: registered, or allow-listed and imported."""
    _check_entry_point(entry_point)
    if entry_point in TRAINERS:
        return TRAINERS[entry_point]
    if entry_point not in allowed_entry_points():
        raise TrainingError(
            f"training entry point {entry_point!r} is not registered; register it with "
            f"steward.monitor.trainers.register_trainer, or allow it with "
            f"{ALLOW_ENV}={entry_point} (registered: {sorted(TRAINERS) or 'none'})"
        )
    return _import(entry_point)


def _import(entry_point: str) -> Trainer:
    module_name, function = entry_point.split(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise TrainingError(f"cannot import trainer module {module_name!r}: {exc}") from exc
    if entry_point in TRAINERS:  # the module registered itself on import
        return TRAINERS[entry_point]
    fn = getattr(module, function, None)
    if not callable(fn):
        raise TrainingError(f"module {module_name!r} has no function {function!r}")
    return fn


def _check_entry_point(entry_point: str) -> None:
    if not isinstance(entry_point, str) or not ENTRY_POINT.match(entry_point):
        raise TrainingError(f"{entry_point!r} is not an entry point of the form module:function")
