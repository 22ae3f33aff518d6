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


class StoreError(StewardError, RuntimeError):
    """The store cannot be opened, migrated or written."""


class NotFound(StewardError, LookupError):
    """A model, version, alias, plan, token or other stored object that does not exist."""


class Conflict(StewardError, ValueError):
    """An operation that contradicts what is stored (a duplicate, an alias already set)."""


class ArtifactError(StewardError, ValueError):
    """An artifact that cannot be stored or read, or is in an unknown or wrong format."""


class IntegrityError(StewardError, ValueError):
    """Bytes that no longer match their recorded SHA-256 (artifact or backup archive)."""


class UntrustedArtifact(StewardError, PermissionError):
    """An artifact format that can run code on load, for a version no admin has trusted."""


class AuthError(StewardError, PermissionError):
    """A missing, unknown, revoked or insufficiently scoped token."""


class NotificationError(StewardError, RuntimeError):
    """A notification that could not be delivered (receiver down, refused, bad answer)."""


class Forbidden(AuthError):
    """A valid token that lacks the scope, or the model, a request needs (HTTP 403)."""


class RateLimited(StewardError):
    """A token sent requests faster than its rate limit; ``retry_after`` says when to retry."""

    def __init__(self, message: str, retry_after: float = 1.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Unavailable(StewardError, RuntimeError):
    """No healthy model can answer (no champion; champion failing and no fallback), or the
    prediction log cannot be committed; the service answers 503."""


class TrainingError(StewardError, RuntimeError):
    """A training entry point that is not registered or allowed, failed, or returned junk."""
