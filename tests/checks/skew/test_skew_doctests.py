"""The examples in the skew module's docstrings run and say what they print."""

from __future__ import annotations

import doctest

import steward.checks.skew


def test_docstring_examples() -> None:
    result = doctest.testmod(steward.checks.skew, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0
