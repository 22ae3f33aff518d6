"""Label-free performance estimates: CBPE for classifiers, DLE for regressors.

Each window gets one ``estimate.<metric>`` finding per metric: the estimate in
``statistic``, a band in ``lower``/``upper``, the reference's realised value in
``threshold``, the label coverage and (where labels have arrived for part of the window)
the realised metric on those rows beside the estimate on the same rows. An estimate that
cannot be trusted — the window is outside the reference's support, or it disagrees with
the labels that have arrived — gets verdict ``unreliable`` and a ``reason``.
"""

from steward.checks.estimate._factory import fit_estimator
from steward.checks.estimate._metrics import (
    CLASSIFICATION_METRICS,
    REGISTRY,
    REGRESSION_METRICS,
    Metric,
)
from steward.checks.estimate._policy import EstimatePolicy
from steward.checks.estimate.cbpe import CBPE
from steward.checks.estimate.dle import DLE

__all__ = [
    "CBPE",
    "CLASSIFICATION_METRICS",
    "DLE",
    "REGISTRY",
    "REGRESSION_METRICS",
    "EstimatePolicy",
    "Metric",
    "fit_estimator",
]
