"""Multivariate drift: checks that see all features of a row at once.

Per-column tests miss a change in how features move together (a correlation that flips
sign leaves every marginal distribution as it was). Two checks look at whole rows of the
profiles' reservoir samples:

- ``drift.pca_reconstruction`` — mean PCA reconstruction error against reference chunks;
- ``drift.domain_classifier`` — out-of-fold AUC of a model telling the two samples apart,
  naming the columns that separate them.

Importing this package registers both.

>>> import numpy as np, pyarrow as pa
>>> from steward.profile import profile
>>> rng = np.random.default_rng(0)
>>> x, y = rng.normal(size=2000), rng.normal(size=2000)
>>> reference = profile(pa.table({"a": x, "b": x + rng.normal(0, 0.3, 2000)}))
>>> current = profile(pa.table({"a": y, "b": -y + rng.normal(0, 0.3, 2000)}), reference=reference)
>>> [(f.check, f.verdict.value) for f in check_multivariate(reference, current)]
[('drift.pca_reconstruction', 'fail'), ('drift.domain_classifier', 'fail')]
"""

from steward.checks.multivariate import domain_classifier, pca_reconstruction
from steward.checks.multivariate._base import (
    REGISTRY,
    MultivariateCheck,
    Samples,
    get,
    register,
)
from steward.checks.multivariate._check import check_multivariate
from steward.checks.multivariate._encoder import FeatureEncoder
from steward.checks.multivariate._policy import MultivariatePolicy

__all__ = [
    "REGISTRY",
    "FeatureEncoder",
    "MultivariateCheck",
    "MultivariatePolicy",
    "Samples",
    "check_multivariate",
    "domain_classifier",
    "get",
    "pca_reconstruction",
    "register",
]
