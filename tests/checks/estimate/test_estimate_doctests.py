"""The examples in the estimators' docstrings run and say what they print."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import steward.checks.estimate

MODULES = ["steward.checks.estimate"] + [
    f"steward.checks.estimate.{m.name}"
    for m in pkgutil.iter_modules(steward.checks.estimate.__path__)
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
