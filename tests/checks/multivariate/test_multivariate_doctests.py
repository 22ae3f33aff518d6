"""The examples in the multivariate modules' docstrings run and say what they print."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import steward.checks.multivariate

MODULES = ["steward.checks.multivariate"] + [
    f"steward.checks.multivariate.{m.name}"
    for m in pkgutil.iter_modules(steward.checks.multivariate.__path__)
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
