"""Registering a version: artifact and reference rows stored; schema, profile, lineage recorded."""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from steward._exceptions import ArtifactError, InputError
from steward.registry import lineage as lineage_
from steward.registry._rows import RegistryRows, audit
from steward.registry.records import ModelVersion
from steward.schema import Role, Schema, infer_schema
from steward.store.tables import ArtifactRow, VersionRow


class Registration(RegistryRows):
    """Registration in :class:`~steward.registry.ModelRegistry`: new, immutable versions."""

    def register(
        self,
        name: str,
        artifact: str | Path,
        *,
        reference: Any,
        actor: str,
        format: str | None = None,
        target: str | None = None,
        prediction: str | None = None,
        score: str | list[str] | None = None,
        id: str | None = None,
        segment: str | list[str] | None = None,
        timestamp: str | None = None,
        schema: Schema | None = None,
        lineage: Mapping[str, Any] | None = None,
        description: str = "",
    ) -> ModelVersion:
        """Store ``artifact`` as the next version of ``name`` with its reference profile."""
        from steward.io import to_arrow
        from steward.profile import profile
        from steward.registry.loader import detect_format, inspect_artifact

        _check_name(name)
        path = Path(artifact)
        if not path.exists():
            raise ArtifactError(f"artifact not found: {path}")
        fmt = format or detect_format(path)
        table = to_arrow(reference, require_rows=True)
        roles = dict(target=target, prediction=prediction, score=score, id=id)
        schema = schema or infer_schema(table, **roles, segment=segment, timestamp=timestamp)
        facts = inspect_artifact(path, fmt)
        task = facts.get("task") or "unknown"
        if task == "unknown":
            task = _task_from_schema(schema, table)
        ref_profile = profile(table, schema)
        stored = [self.store.artifacts.put_file(path)]
        try:
            stored.append(self.store.artifacts.put_bytes(_parquet(table)))
            with self.store.session() as session:
                row = self._insert_version(
                    session,
                    name=name,
                    fmt=fmt,
                    stored=stored,
                    schema=schema,
                    task=task,
                    classes=facts.get("classes"),
                    profile_bytes=ref_profile.to_bytes(),
                    lineage=lineage_.build(table, lineage),
                    actor=actor,
                    description=description,
                )
                version_id = row.id
        except BaseException:
            for saved in stored:  # never half-registered: drop the copied bytes
                self.store.artifacts.path(saved.id).unlink(missing_ok=True)
            raise
        return self._by_id(version_id)

    def _insert_version(self, session: Session, **facts: Any) -> VersionRow:
        model = self._model_for_update(
            session,
            facts["name"],
            create=True,
            actor=facts["actor"],
            description=facts["description"],
        )
        number = session.scalar(
            select(func.coalesce(func.max(VersionRow.version), 0)).where(
                VersionRow.model_id == model.id
            )
        )
        artifact, reference = facts["stored"]
        session.add(
            ArtifactRow(id=artifact.id, sha256=artifact.sha256, size=artifact.size, kind="model")
        )
        session.add(
            ArtifactRow(
                id=reference.id, sha256=reference.sha256, size=reference.size, kind="reference"
            )
        )
        session.flush()
        row = VersionRow(
            model_id=model.id,
            version=number + 1,
            format=facts["fmt"],
            artifact_id=artifact.id,
            sha256=artifact.sha256,
            schema_json=facts["schema"].to_dict(),
            reference_profile=facts["profile_bytes"],
            reference_artifact_id=reference.id,
            task=facts["task"],
            classes=_plain(facts["classes"]),
            lineage=facts["lineage"],
            created_by=facts["actor"],
        )
        session.add(row)
        session.flush()
        audit(
            session,
            facts["actor"],
            "model.register",
            model.id,
            row.id,
            {"version": row.version, "format": row.format, "sha256": row.sha256},
        )
        return row


def _check_name(name: str) -> None:
    if not name or len(name) > 200 or not all(c.isalnum() or c in "-_." for c in name):
        raise InputError(f"model name {name!r} must be 1-200 letters, digits, '-', '_' or '.'")


def _task_from_schema(schema: Schema, table: pa.Table) -> str:
    target = schema.first(Role.TARGET) or schema.first(Role.PREDICTION)
    if target is None:
        return "unknown"
    if target.kind.value in ("categorical", "boolean"):
        return "classification"
    return "regression" if target.kind.value == "numeric" else "unknown"


def _parquet(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


def _plain(values: Any) -> Any:
    if values is None:
        return None
    return [v.item() if hasattr(v, "item") else v for v in values]
