"""The detector registry: every detector registered once, by a stable short name."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from steward._registry import Registry
from steward.stream._base import Detector, WarningDetector

D = TypeVar("D", bound=type[Detector])


@dataclass(frozen=True)
class DetectorInfo:
    """What a detector is: its name, class, the stream it reads, whether it warns."""

    name: str
    cls: type[Detector]
    input: Literal["binary", "real"]
    has_warning: bool

    @property
    def check_name(self) -> str:
        return f"stream.{self.name}"


REGISTRY: Registry[DetectorInfo] = Registry("stream detector")


def register(name: str, input: Literal["binary", "real"]) -> Callable[[D], D]:
    """Class decorator: ``@register("ddm", input="binary")`` next to the class."""

    def add(cls: D) -> D:
        info = REGISTRY.register(
            name, DetectorInfo(name, cls, input, issubclass(cls, WarningDetector))
        )
        cls.info = info
        return cls

    return add


def get(name: str) -> DetectorInfo:
    return REGISTRY.lookup(name)


def create(name: str, **params: Any) -> Detector:
    """A new detector by registered name: ``create("adwin", delta=0.01)``."""
    return get(name).cls(**params)
