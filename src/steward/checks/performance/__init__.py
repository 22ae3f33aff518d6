"""Realised performance: metrics from a profile's model aggregates, with confidence bands.

Once labels arrive, :func:`realised_metrics` computes each registered metric of a profile
(binary, multiclass or regression) from its mergeable aggregates, so window profiles merge
into longer periods without rows. :func:`check_performance` turns them into findings named
``performance.<metric>`` against the reference's values, plus ``performance.label_coverage``.

>>> import numpy as np, pyarrow as pa
>>> from steward.profile import profile
>>> from steward.schema import infer_schema
>>> rng = np.random.default_rng(0)
>>> y = rng.integers(0, 2, 2000)
>>> data = pa.table({"y": y, "score": np.clip(0.5 * y + 0.5 * rng.random(2000), 0, 1)})
>>> ref = profile(data, infer_schema(data, target="y", score="score"))
>>> found = check_performance(ref, profile(data.slice(0, 500), reference=ref), window=0)
>>> [(f.check, f.verdict.value) for f in found][:2]
[('performance.label_coverage', 'ok'), ('performance.accuracy', 'ok')]
>>> round(realised_metrics(ref)["roc_auc"].value, 3)
1.0
"""

from __future__ import annotations

# importing the metric modules registers them, in report order
from steward.checks.performance import _confusion, _regression, _scores  # noqa: F401  (registers)
from steward.checks.performance._base import REGISTRY, Metric, MetricSpec, get
from steward.checks.performance._check import check_performance, realised_metrics
from steward.checks.performance._policy import MetricRule, PerformancePolicy

__all__ = [
    "REGISTRY",
    "Metric",
    "MetricRule",
    "MetricSpec",
    "PerformancePolicy",
    "check_performance",
    "get",
    "realised_metrics",
]
