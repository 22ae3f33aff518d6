"""The examples in the docstrings of the outlier, client and event modules run."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "steward.checks.outliers",
    "steward.checks.outliers._encoding",
    "steward.checks.outliers.extreme_value",
    "steward.checks.outliers.isolation_forest",
    "steward.checks.outliers.mahalanobis",
    "steward.checks.clients",
    "steward.checks.events",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
