"""Lineage of a version: where it came from, recorded once at registration.

The training-data fingerprint is a SHA-256 over the reference rows in Arrow IPC form, so
the same data gives the same fingerprint whatever file format it arrived in.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from typing import Any

import pyarrow as pa

KNOWN = ("training_data", "metrics", "code_version", "tags", "parent")


def fingerprint(table: pa.Table) -> str:
    digest = hashlib.sha256()
    table = table.replace_schema_metadata(None)  # pandas adds index metadata, others none
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        for batch in table.to_batches(max_chunksize=65536):
            writer.write_batch(batch)
    digest.update(sink.getvalue().to_pybytes())
    return digest.hexdigest()


def build(table: pa.Table, given: Mapping[str, Any] | None) -> dict[str, Any]:
    """The lineage record: given fields plus the reference fingerprint and shape."""
    lineage: dict[str, Any] = {k: v for k, v in (given or {}).items() if v is not None}
    lineage.setdefault("code_version", os.environ.get("STEWARD_CODE_VERSION"))
    lineage.setdefault("tags", {})
    lineage.setdefault("metrics", {})
    lineage["reference"] = {
        "fingerprint": fingerprint(table),
        "rows": table.num_rows,
        "columns": table.column_names,
    }
    lineage.setdefault("training_data", lineage["reference"]["fingerprint"])
    return lineage
