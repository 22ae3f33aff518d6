"""Drift tests, one module each; importing this package registers all of them."""

import importlib
import pkgutil

from steward.checks.drift._base import REGISTRY, DriftTest, Pair, TestResult, get, register

for _module in pkgutil.iter_modules(__path__):
    if not _module.name.startswith("_"):
        importlib.import_module(f"{__name__}.{_module.name}")

__all__ = ["REGISTRY", "DriftTest", "Pair", "TestResult", "get", "register"]
