"""Label-free performance estimates: CBPE for classifiers, DLE for regressors.

Each window gets one ``estimate.<metric>`` finding per metric, in the estimator's metric
order: the estimate in ``statistic``, a band in ``lower``/``upper``, the reference's
realised value in ``threshold``, the target in ``column``. An estimate that cannot be
trusted — the window is outside the reference's support, or it disagrees with the labels
that have arrived — gets verdict ``unreliable`` and a ``reason``; otherwise ``fail``,
``warn`` or ``ok`` against the reference (see :class:`EstimatePolicy`).

``details``: ``label_coverage`` (share of rows with a label), ``method`` (``cbpe`` or
``dle``), ``reference_value``, ``limit`` (the bar the verdict used), ``rows``,
``out_of_support`` (share of rows outside the reference's support); where labels have
arrived, ``labelled_rows``, ``realised_on_labelled`` and ``estimate_on_labelled`` (the
estimate on exactly those rows) side by side, and ``disagreement_p_value`` when tested;
when unreliable, ``reason`` and, for support, ``out_of_support_columns``.
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
