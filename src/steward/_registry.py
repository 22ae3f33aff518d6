"""One registry shape for every plug-in family (drift tests, quality checks, detectors…).

A registry is a dict from a stable short name to a small frozen descriptor; registering a
name twice is a programming error, and looking up an unknown name is the user's, answered
with the names that exist.

>>> tests = Registry[str]("drift test")
>>> tests.register("ks", "Kolmogorov–Smirnov")
'Kolmogorov–Smirnov'
>>> tests.lookup("nope")
Traceback (most recent call last):
...
steward._exceptions.UnknownCheck: unknown drift test 'nope'; registered: ['ks']
"""

from __future__ import annotations

from typing import Generic, TypeVar

from steward._exceptions import UnknownCheck

T = TypeVar("T")


class Registry(dict[str, T], Generic[T]):
    def __init__(self, what: str) -> None:
        super().__init__()
        self.what = what

    def register(self, name: str, item: T) -> T:
        if name in self:
            raise ValueError(f"{self.what} {name!r} is registered twice")
        self[name] = item
        return item

    def lookup(self, name: str) -> T:
        try:
            return self[name]
        except KeyError:
            raise UnknownCheck(
                f"unknown {self.what} {name!r}; registered: {sorted(self)}"
            ) from None
