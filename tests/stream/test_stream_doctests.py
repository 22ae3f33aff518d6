"""The examples in the detectors' docstrings run and say what they print."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import steward.stream

MODULES = ["steward.stream"] + [
    f"steward.stream.{m.name}" for m in pkgutil.iter_modules(steward.stream.__path__)
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
