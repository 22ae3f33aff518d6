import doctest

import pytest

import steward._registry
from steward._exceptions import UnknownCheck
from steward._registry import Registry
from steward.checks import drift, multivariate, outliers, performance, quality
from steward.stream import _registry as stream


def test_registry_doctests():
    assert doctest.testmod(steward._registry).failed == 0


def test_twice_is_an_error_and_unknown_names_list_the_known():
    items = Registry[int]("widget")
    items.register("a", 1)
    with pytest.raises(ValueError, match="registered twice"):
        items.register("a", 2)
    with pytest.raises(UnknownCheck, match=r"registered: \['a'\]"):
        items.lookup("b")


@pytest.mark.parametrize("family", [drift, quality, multivariate, outliers, performance, stream])
def test_every_family_uses_the_shared_registry(family):
    assert isinstance(family.REGISTRY, Registry)
    assert family.REGISTRY
    with pytest.raises(UnknownCheck):
        family.get("no-such-plug-in")
