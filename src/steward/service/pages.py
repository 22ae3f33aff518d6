"""Pagination for list routes: ``?limit=&cursor=`` in, ``{"items": [...], "next": ...}`` out.

A cursor is opaque to clients: the URL-safe base64 of the last item's sort key. Lists are
keyset-paginated (items *after* the key), so pages stay stable while rows are added.

>>> decode_cursor(encode_cursor(42))
42
>>> page_after([1, 2, 3, 4], key=lambda x: x, cursor=None, limit=2)
([1, 2], 'Mg')
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel

from steward._exceptions import InputError

T = TypeVar("T")

Limit = Annotated[int, Query(ge=1, le=1000, description="items per page")]
Cursor = Annotated[
    str | None, Query(max_length=200, description="the `next` value of the previous page")
]


class Page(BaseModel, Generic[T]):
    """One page of a list; ``next`` is the cursor of the following page, or null."""

    items: list[T]
    next: str | None = None


def encode_cursor(key: Any) -> str:
    raw = json.dumps(key, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None, kind: type = int) -> Any:
    """The key inside ``cursor`` (``None`` for the first page); 422 if it is not ours."""
    if cursor is None:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"cursor {cursor!r} is not one this API issued") from exc
    if type(key) is not kind:
        raise InputError(f"cursor {cursor!r} is not one this API issued")
    return key


def page_after(
    items: Sequence[T], key: Callable[[T], Any], cursor: str | None, limit: int
) -> tuple[list[T], str | None]:
    """Items (sorted by ascending ``key``) after the cursor, at most ``limit``, and ``next``."""
    sample = key(items[0]) if items else None
    after = decode_cursor(cursor, type(sample)) if cursor and items else None
    rest = [item for item in items if after is None or key(item) > after]
    return trim(rest, key, limit)


def trim(rows: Sequence[T], key: Callable[[T], Any], limit: int) -> tuple[list[T], str | None]:
    """The first ``limit`` rows, and a cursor when more were fetched (query ``limit + 1``)."""
    if len(rows) <= limit:
        return list(rows), None
    shown = list(rows[:limit])
    return shown, encode_cursor(key(shown[-1]))
