"""Model artifact formats, one module each, registered by name in :data:`FORMATS`.

>>> from steward.registry.formats import FORMATS
>>> sorted(name for name, fmt in FORMATS.items() if fmt.runs_code)
['cloudpickle', 'joblib', 'mlflow', 'pickle']

To add a format, write one module that builds an :class:`ArtifactFormat` and calls
``FORMATS.register``, import it below, and add a case to the conformance matrix in
``tests/registry/test_formats_conformance.py``.
"""

from steward.registry.formats import (  # noqa: F401  (each import registers its format)
    lightgbm_format,
    mlflow_format,
    onnx_format,
    pickle_format,
    skops_format,
    xgboost_format,
)
from steward.registry.formats._base import FORMATS, ArtifactFormat, LoadedModel, Prediction

__all__ = ["FORMATS", "ArtifactFormat", "LoadedModel", "Prediction"]
