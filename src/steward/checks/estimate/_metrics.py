"""The metrics an estimator can report, each registered once by its short name."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from steward._exceptions import UnknownCheck


@dataclass(frozen=True)
class Metric:
    """A performance metric an estimator knows how to estimate without labels.

    ``bounded`` metrics live in [0, 1] and are judged on absolute changes; the others
    (errors) on relative changes. ``higher_is_better`` says which way a drop goes.
    """

    name: str
    method: Literal["cbpe", "dle"]
    higher_is_better: bool
    bounded: bool
    description: str = ""

    @property
    def check_name(self) -> str:
        return f"estimate.{self.name}"


REGISTRY: dict[str, Metric] = {}


def register(metric: Metric) -> Metric:
    if metric.name in REGISTRY:
        raise ValueError(f"estimated metric {metric.name!r} is registered twice")
    REGISTRY[metric.name] = metric
    return metric


def resolve(names: tuple[str, ...] | list[str], method: str) -> tuple[Metric, ...]:
    """The registered metrics named, in order; an error names any unknown one."""
    known = sorted(m.name for m in REGISTRY.values() if m.method == method)
    if isinstance(names, str) or not names:
        raise UnknownCheck(f"{method.upper()} needs a non-empty list of metrics from {known}")
    unknown = [n for n in names if n not in known]
    if unknown:
        raise UnknownCheck(f"{method.upper()} cannot estimate {unknown}; it knows {known}")
    return tuple(REGISTRY[n] for n in dict.fromkeys(names))


register(
    Metric(
        "roc_auc", "cbpe", True, True, "area under the ROC curve (multiclass: macro one-vs-rest)"
    )
)
register(Metric("accuracy", "cbpe", True, True, "share of correct predictions"))
register(
    Metric("precision", "cbpe", True, True, "precision of the positive class (multiclass: macro)")
)
register(Metric("recall", "cbpe", True, True, "recall of the positive class (multiclass: macro)"))
register(Metric("f1", "cbpe", True, True, "F1 of the positive class (multiclass: macro)"))
register(Metric("mae", "dle", False, False, "mean absolute error"))
register(Metric("rmse", "dle", False, False, "root mean squared error"))

CLASSIFICATION_METRICS = ("roc_auc", "accuracy", "precision", "recall", "f1")
REGRESSION_METRICS = ("mae", "rmse")
