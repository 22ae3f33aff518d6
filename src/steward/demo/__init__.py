"""``steward demo``: the whole maintenance loop on the embedded store, start to finish."""

from steward.demo.main import run_demo

__all__ = ["run_demo"]
