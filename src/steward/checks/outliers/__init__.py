"""Outlier detectors fitted on the reference, one module each, and the outlier-rate check.

Importing this package registers every detector in :data:`REGISTRY`:

* ``isolation_forest`` — isolation forest on the encoded features;
* ``mahalanobis`` — robust (MCD) Mahalanobis distance on numeric features;
* ``extreme_value`` — the most extreme per-feature tail probability.

>>> import numpy as np, pyarrow as pa
>>> from steward.schema import infer_schema
>>> rng = np.random.default_rng(0)
>>> reference = pa.table({"x": rng.normal(size=4000), "y": rng.normal(size=4000)})
>>> detectors = fit_detectors(reference, infer_schema(reference), names=["extreme_value"])
>>> window = pa.table({"x": np.r_[rng.normal(size=950), np.full(50, 9.0)],
...                    "y": rng.normal(size=1000)})
>>> finding = check_outliers(detectors, window)[0]
>>> finding.check, finding.verdict.value, finding.details["top_features"][0]["feature"]
('outlier.extreme_value', 'fail', 'x')
"""

import importlib
import pkgutil

from steward.checks.outliers._base import (
    REGISTRY,
    DetectorSpec,
    OutlierDetector,
    get,
    register,
)
from steward.checks.outliers._check import check_outliers, fit_detectors

for _module in pkgutil.iter_modules(__path__):
    if not _module.name.startswith("_"):
        importlib.import_module(f"{__name__}.{_module.name}")

from steward.checks.outliers.extreme_value import ExtremeValueDetector  # noqa: E402
from steward.checks.outliers.isolation_forest import IsolationForestDetector  # noqa: E402
from steward.checks.outliers.mahalanobis import MahalanobisDetector  # noqa: E402

__all__ = [
    "REGISTRY",
    "DetectorSpec",
    "ExtremeValueDetector",
    "IsolationForestDetector",
    "MahalanobisDetector",
    "OutlierDetector",
    "check_outliers",
    "fit_detectors",
    "get",
    "register",
]
