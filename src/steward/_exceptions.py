"""Every error Steward raises on purpose, in one tree.

Callers catch :class:`StewardError`; the CLI turns it into a one-line message with exit
code 2, and later the service maps each subclass to one HTTP status in one place.
"""

from __future__ import annotations


class StewardError(Exception):
    """Base of every error Steward raises on purpose."""


class InputError(StewardError, ValueError):
    """The data handed to Steward cannot be used as it is."""


class UnreadableInput(InputError):
    """A file or object that is not in a format Steward reads."""


class EmptyInput(InputError):
    """A frame with no rows (or no columns) where rows are needed."""


class UnknownColumn(InputError, KeyError):
    """A column named by the user does not exist in the data."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class SchemaError(StewardError, ValueError):
    """A schema or schema file that is invalid or does not fit the data."""


class ProfileMismatch(StewardError, ValueError):
    """Two profiles that cannot be merged or compared (other columns, other bin edges)."""


class CheckError(StewardError, ValueError):
    """A check that cannot run on the data it was given, with the reason."""


class UnknownCheck(StewardError, KeyError):
    """A check name that is not registered."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class PlanError(StewardError, ValueError):
    """A plan (or expectation file) that does not validate."""
