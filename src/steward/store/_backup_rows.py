"""Rows of any store table as plain JSON objects, and back, for backups.

Datetimes travel as ISO text and bytes as base64. A JSON column keeps SQL NULL (key left
out) apart from a JSON null (key present, value null), so a restored row is the same row
whichever database it left and whichever it enters.
"""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Insert, LargeBinary, Table, bindparam
from sqlalchemy.types import TypeDecorator

NULL_FLAG = "__is_sql_null"


def null_flags(table: Table) -> list[Any]:
    """Extra select columns telling SQL NULL from JSON null in each JSON column."""
    return [c.is_(None).label(c.key + NULL_FLAG) for c in table.columns if _kind(c) == "json"]


def encode_row(table: Table, row: Any) -> dict[str, Any]:
    encoded: dict[str, Any] = {}
    for column in table.columns:
        kind, value = _kind(column), row[column.key]
        if kind == "json" and row[column.key + NULL_FLAG]:
            continue
        if value is not None and kind == "datetime":
            value = value.isoformat()
        elif value is not None and kind == "bytes":
            value = base64.b64encode(value).decode("ascii")
        encoded[column.name] = value
    return encoded


def decode_row(table: Table, row: dict[str, Any]) -> dict[str, Any]:
    """Insert parameters for one dumped row (see :func:`insert_statement` for JSON keys)."""
    decoded: dict[str, Any] = {}
    for column in table.columns:
        kind, value = _kind(column), row.get(column.name)
        if kind == "json":
            present_null = column.name in row and value is None
            decoded["json_" + column.key] = JSON.NULL if present_null else value
            continue
        if value is not None and kind == "datetime":
            value = datetime.fromisoformat(value)
        elif value is not None and kind == "bytes":
            value = base64.b64decode(value)
        decoded[column.key] = value
    return decoded


def insert_statement(table: Table) -> Insert:
    """An INSERT whose JSON columns bind through a type that writes ``None`` as SQL NULL."""
    json_binds = {
        c.key: bindparam("json_" + c.key, type_=JSON(none_as_null=True))
        for c in table.columns
        if _kind(c) == "json"
    }
    return table.insert().values(json_binds) if json_binds else table.insert()


def _kind(column: Any) -> str:
    kind = column.type
    if isinstance(kind, TypeDecorator):
        kind = kind.impl_instance
    if isinstance(kind, JSON):
        return "json"
    if isinstance(kind, DateTime):
        return "datetime"
    return "bytes" if isinstance(kind, LargeBinary) else "plain"
