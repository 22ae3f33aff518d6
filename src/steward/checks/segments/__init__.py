"""Segments: metrics and drift per segment, the worst slices, and what drove a change.

* :func:`segment_metrics` — each value of a segment column: rows, error with a band, the
  rest's error, a test of "worse"; small segments are ``unreliable``, never confident.
* :func:`segment_drift` — the default drift verdict within each segment value.
* :func:`find_worst_segments` — without being told the segments, the conjunctions of up to
  two (or three) feature conditions whose error is significantly worse than elsewhere,
  with false discoveries controlled; :func:`find_drifted_segments` does the same for the
  share of current rows against a reference.
* :func:`explain_change` — features ranked by drift × importance, and what a domain
  classifier uses to tell the windows apart.

All findings are in the family ``segment``.

>>> import numpy as np, pyarrow as pa
>>> from steward.schema import infer_schema
>>> rng = np.random.default_rng(0)
>>> region = rng.choice(["north", "south", "east", "west"], 4000)
>>> income = rng.lognormal(10.8, 0.4, 4000)
>>> weak = (region == "east") & (income < np.quantile(income, 0.2))
>>> wrong = rng.random(4000) < np.where(weak, 0.4, 0.1)
>>> target = rng.integers(0, 2, 4000)
>>> table = pa.table({"region": region, "income": income, "target": target,
...                   "prediction": np.where(wrong, 1 - target, target)})
>>> schema = infer_schema(table, target="target", prediction="prediction")
>>> worst = find_worst_segments(table, schema)
>>> [c.split(" ")[0] for c in worst[0].details["conditions"]], worst[0].verdict.value
(['region', 'income'], 'fail')
"""

from steward.checks.segments._errors import estimated_errors
from steward.checks.segments.drift import segment_drift
from steward.checks.segments.drifted import find_drifted_segments
from steward.checks.segments.explain import explain_change
from steward.checks.segments.metrics import segment_metrics
from steward.checks.segments.worst import find_worst_segments

__all__ = [
    "estimated_errors",
    "explain_change",
    "find_drifted_segments",
    "find_worst_segments",
    "segment_drift",
    "segment_metrics",
]
