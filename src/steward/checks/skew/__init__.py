"""Training–serving skew: the same model fed different data in training and in serving.

Three views, from coarse to exact:

- :func:`check_distribution_skew` — serving vs training *distributions*: the drift verdict
  with stricter relevance bars, findings named ``skew.<test>``;
- :func:`row_skew` — the *same entities* (joined by id) with different feature values:
  ``skew.row_mismatch`` per column and ``skew.row_join`` for the join itself;
- :func:`preprocessing_parity` — raw training rows replayed through the serving
  preprocessing callable must give the training features back: ``skew.preprocessing``.

>>> import pyarrow as pa
>>> training = pa.table({"id": [1, 2, 3], "x": [1.0, 2.0, 3.0]})
>>> serving = pa.table({"id": [3, 2, 1], "x": [3.0, 2.5, 1.0]})
>>> [(f.check, f.statistic) for f in row_skew(training, serving, id="id")]
[('skew.row_join', 1.0), ('skew.row_mismatch', 0.3333333333333333)]
"""

from __future__ import annotations

from steward.checks.skew._columns import (
    EXAMPLES,
    MISSING,
    TOP_PAIRS,
    Bars,
    Difference,
    compare_columns,
    top_pairs,
)
from steward.checks.skew._join import Join, join_by_id
from steward.checks.skew.distribution import SKEW_POLICY, check_distribution_skew
from steward.checks.skew.preprocessing import NOT_PRODUCED, preprocessing_parity, replay
from steward.checks.skew.rows import row_skew

__all__ = [
    "EXAMPLES",
    "MISSING",
    "NOT_PRODUCED",
    "SKEW_POLICY",
    "TOP_PAIRS",
    "Bars",
    "Difference",
    "Join",
    "check_distribution_skew",
    "compare_columns",
    "join_by_id",
    "preprocessing_parity",
    "replay",
    "row_skew",
    "top_pairs",
]
