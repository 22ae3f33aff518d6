"""What the registry hands out: a registered version and an alias move, as plain frozen records."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from steward.schema import Schema
from steward.store.tables import AliasEventRow, VersionRow


@dataclass(frozen=True)
class ModelVersion:
    """One registered version, as read from the store."""

    model: str
    version: int
    id: int
    format: str
    artifact_id: str
    sha256: str
    schema: Schema
    task: str
    classes: list[Any] | None
    lineage: dict[str, Any]
    created_at: datetime
    created_by: str
    trusted: bool
    status: str
    aliases: tuple[str, ...]
    reference_artifact_id: str | None = None

    @property
    def features(self) -> list[str]:
        return [c.name for c in self.schema.features()]

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "version": self.version,
            "format": self.format,
            "sha256": self.sha256,
            "task": self.task,
            "classes": self.classes,
            "features": self.features,
            "schema": self.schema.to_dict(),
            "lineage": self.lineage,
            "created_at": self.created_at.isoformat(),
            "created_by": self.created_by,
            "trusted": self.trusted,
            "status": self.status,
            "aliases": list(self.aliases),
        }


@dataclass(frozen=True)
class AliasEvent:
    id: int
    model: str
    alias: str
    action: str
    version: int | None
    previous: int | None
    actor: str
    reason: str
    at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "model": self.model,
            "alias": self.alias,
            "action": self.action,
            "version": self.version,
            "previous": self.previous,
            "actor": self.actor,
            "reason": self.reason,
            "at": self.at.isoformat(),
        }


def to_version(name: str, row: VersionRow, aliases: Mapping[int, tuple[str, ...]]) -> ModelVersion:
    return ModelVersion(
        model=name,
        version=row.version,
        id=row.id,
        format=row.format,
        artifact_id=row.artifact_id,
        sha256=row.sha256,
        schema=Schema.from_dict(row.schema_json),
        task=row.task,
        classes=row.classes,
        lineage=row.lineage,
        created_at=row.created_at,
        created_by=row.created_by,
        trusted=row.trusted,
        status=row.status,
        aliases=aliases.get(row.id, ()),
        reference_artifact_id=row.reference_artifact_id,
    )


def to_event(name: str, row: AliasEventRow, numbers: Mapping[int, int]) -> AliasEvent:
    return AliasEvent(
        id=row.id,
        model=name,
        alias=row.alias,
        action=row.action,
        version=numbers.get(row.version_id) if row.version_id else None,
        previous=numbers.get(row.previous_version_id) if row.previous_version_id else None,
        actor=row.actor,
        reason=row.reason,
        at=row.at,
    )
