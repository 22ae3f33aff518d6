"""Register model versions, move aliases, roll back; every move is recorded.

A version is immutable once registered: artifact (stored under a generated id with its
SHA-256), schema, reference profile and reference rows, lineage, who registered it. Only
``trusted`` (set by an admin) and ``status`` (retired) change later. Aliases point at
versions: ``champion`` and ``fallback`` at one each, ``challenger`` at any number. Every move
is an :class:`AliasEvent` with time, actor and reason; ``rollback`` makes the previous
champion the champion again in one step.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from steward._exceptions import ArtifactError, InputError, NotFound
from steward.registry import lineage as lineage_
from steward.registry.aliases import apply_move, champion_stack, check_alias
from steward.schema import Role, Schema, infer_schema
from steward.store import Store
from steward.store.tables import (
    AliasEventRow,
    AliasRow,
    ArtifactRow,
    AuditRow,
    ModelRow,
    VersionRow,
    utcnow,
)


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


class ModelRegistry:
    """Versions and aliases of every model in one :class:`~steward.store.Store`."""

    def __init__(self, store: Store) -> None:
        self.store = store

    # --- registration ---------------------------------------------------------------

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
        _audit(
            session,
            facts["actor"],
            "model.register",
            model.id,
            row.id,
            {"version": row.version, "format": row.format, "sha256": row.sha256},
        )
        return row

    # --- reading --------------------------------------------------------------------

    def models(self) -> list[str]:
        with self.store.session() as session:
            return list(session.scalars(select(ModelRow.name).order_by(ModelRow.name)))

    def versions(self, name: str) -> list[ModelVersion]:
        with self.store.session() as session:
            model = self._model(session, name)
            rows = session.scalars(
                select(VersionRow)
                .where(VersionRow.model_id == model.id)
                .order_by(VersionRow.version)
            ).all()
            aliases = self._alias_map(session, model.id)
            return [_version(name, row, aliases) for row in rows]

    def get(self, name: str, version: int | str | None = None) -> ModelVersion:
        """A version by number, by alias (``"champion"``), or the newest when ``None``."""
        if isinstance(version, str) and not version.isdigit():
            found = self.resolve(name, version)
            if not found:
                raise NotFound(f"model {name!r} has no {version!r} alias")
            return found[0]
        with self.store.session() as session:
            model = self._model(session, name)
            query = select(VersionRow).where(VersionRow.model_id == model.id)
            if version is None:
                row = session.scalar(query.order_by(VersionRow.version.desc()).limit(1))
            else:
                row = session.scalar(query.where(VersionRow.version == int(version)))
            if row is None:
                raise NotFound(_no_version(name, version, session, model.id))
            return _version(name, row, self._alias_map(session, model.id))

    def resolve(self, name: str, alias: str) -> list[ModelVersion]:
        """The versions an alias points at now (newest first; empty if unset)."""
        check_alias(alias)
        with self.store.session() as session:
            model = self._model(session, name)
            rows = session.scalars(
                select(VersionRow)
                .join(AliasRow, AliasRow.version_id == VersionRow.id)
                .where(AliasRow.model_id == model.id, AliasRow.alias == alias)
                .order_by(VersionRow.version.desc())
            ).all()
            aliases = self._alias_map(session, model.id)
            return [_version(name, row, aliases) for row in rows]

    def aliases(self, name: str) -> dict[str, list[int]]:
        with self.store.session() as session:
            model = self._model(session, name)
            by_id = self._alias_map(session, model.id)
            numbers = dict(
                session.execute(
                    select(VersionRow.id, VersionRow.version).where(VersionRow.model_id == model.id)
                ).all()
            )
        result: dict[str, list[int]] = {}
        for version_id, names in by_id.items():
            for alias in names:
                result.setdefault(alias, []).append(numbers[version_id])
        return {alias: sorted(v) for alias, v in sorted(result.items())}

    def history(self, name: str) -> list[AliasEvent]:
        """Every alias move of ``name``, oldest first."""
        with self.store.session() as session:
            model = self._model(session, name)
            rows = session.scalars(
                select(AliasEventRow)
                .where(AliasEventRow.model_id == model.id)
                .order_by(AliasEventRow.id)
            ).all()
            numbers = self._numbers(session, model.id)
            return [_event(name, row, numbers) for row in rows]

    def reference_profile(self, name: str, version: int) -> Any:
        from steward.profile import Profile

        with self.store.session() as session:
            row = self._version_row(session, name, version)
            return Profile.from_bytes(row.reference_profile)

    def reference_data(self, name: str, version: int) -> pa.Table:
        """The reference rows stored at registration (checked against their SHA-256)."""
        with self.store.session() as session:
            row = self._version_row(session, name, version)
            artifact = session.get(ArtifactRow, row.reference_artifact_id)
        if artifact is None:
            raise NotFound(f"{name} v{version} has no stored reference rows")
        data = self.store.artifacts.read_verified(artifact.id, artifact.sha256)
        return pq.read_table(io.BytesIO(data))

    # --- alias moves ----------------------------------------------------------------

    def promote(
        self, name: str, version: int, alias: str = "champion", *, actor: str, reason: str = ""
    ) -> AliasEvent:
        """Point ``alias`` at ``version`` (replacing the old target of a single alias)."""
        return self._move(name, "promote", alias, version, actor, reason)

    def demote(
        self,
        name: str,
        version: int | None = None,
        alias: str = "challenger",
        *,
        actor: str,
        reason: str = "",
    ) -> AliasEvent:
        """Take ``alias`` off ``version`` (or off its only target when ``version`` is None)."""
        return self._move(name, "demote", alias, version, actor, reason)

    def rollback(self, name: str, *, actor: str, reason: str = "") -> AliasEvent:
        """Make the previous champion the champion again."""
        return self._move(name, "rollback", "champion", None, actor, reason)

    def _move(
        self, name: str, action: str, alias: str, version: int | None, actor: str, reason: str
    ) -> AliasEvent:
        check_alias(alias)
        with self.store.session() as session:
            model = self._model_for_update(session, name)
            numbers = self._numbers(session, model.id)
            ids = {number: vid for vid, number in numbers.items()}
            if version is not None and version not in ids:
                raise NotFound(_no_version(name, version, session, model.id))
            current = session.scalars(
                select(AliasRow).where(AliasRow.model_id == model.id, AliasRow.alias == alias)
            ).all()
            stack = champion_stack(self._champion_events(session, model.id))
            row = apply_move(
                session,
                model_id=model.id,
                action=action,
                alias=alias,
                version_id=ids.get(version) if version is not None else None,
                current=current,
                stack=stack,
                numbers=numbers,
                label=name,
                actor=actor,
                reason=reason,
            )
            _audit(
                session,
                actor,
                f"alias.{action}",
                model.id,
                row.version_id,
                {
                    "alias": alias,
                    "version": numbers.get(row.version_id),
                    "previous": numbers.get(row.previous_version_id),
                    "reason": reason,
                },
            )
            session.flush()
            return _event(name, row, numbers)

    def _champion_events(self, session: Session, model_id: int) -> list[AliasEventRow]:
        return list(
            session.scalars(
                select(AliasEventRow)
                .where(AliasEventRow.model_id == model_id, AliasEventRow.alias == "champion")
                .order_by(AliasEventRow.id)
            )
        )

    # --- trust, retire, load ----------------------------------------------------------

    def trust(self, name: str, version: int, *, actor: str, reason: str = "") -> ModelVersion:
        """Mark a version trusted: formats that run code on load may then load it."""
        with self.store.session() as session:
            row = self._version_row(session, name, version)
            row.trusted, row.trusted_by, row.trusted_at = True, actor, utcnow()
            _audit(
                session,
                actor,
                "model.trust",
                row.model_id,
                row.id,
                {"version": version, "reason": reason},
            )
        return self.get(name, version)

    def retire(self, name: str, version: int, *, actor: str, reason: str = "") -> ModelVersion:
        """Retire a version (it keeps its history); its aliases are removed first."""
        for alias, numbers in self.aliases(name).items():
            if version in numbers:
                self.demote(name, version, alias, actor=actor, reason=f"retired: {reason}")
        with self.store.session() as session:
            row = self._version_row(session, name, version)
            row.status = "retired"
            _audit(
                session,
                actor,
                "model.retire",
                row.model_id,
                row.id,
                {"version": version, "reason": reason},
            )
        return self.get(name, version)

    def load(self, name: str, version: int | str | None = None) -> Any:
        """The version's model, through the one loader (trust and SHA-256 checked)."""
        from steward.registry.loader import ArtifactRef, load_model

        found = self.get(name, version)
        ref = ArtifactRef(
            artifact_id=found.artifact_id,
            sha256=found.sha256,
            format=found.format,
            trusted=found.trusted,
            label=f"{name} v{found.version}",
        )
        return load_model(self.store.artifacts, ref, found.features)

    # --- rows -----------------------------------------------------------------------

    def _model(self, session: Session, name: str) -> ModelRow:
        model = session.scalar(select(ModelRow).where(ModelRow.name == name))
        if model is None:
            known = list(session.scalars(select(ModelRow.name).order_by(ModelRow.name).limit(20)))
            raise NotFound(f"unknown model {name!r}; registered: {known or 'none'}")
        return model

    def _model_for_update(
        self,
        session: Session,
        name: str,
        create: bool = False,
        actor: str = "",
        description: str = "",
    ) -> ModelRow:
        query = select(ModelRow).where(ModelRow.name == name).with_for_update()
        model = session.scalar(query)
        if model is None and create:
            model = ModelRow(name=name, created_by=actor, description=description)
            session.add(model)
            session.flush()
        if model is None:
            return self._model(session, name)
        return model

    def _version_row(self, session: Session, name: str, version: int) -> VersionRow:
        model = self._model(session, name)
        row = session.scalar(
            select(VersionRow).where(
                VersionRow.model_id == model.id, VersionRow.version == int(version)
            )
        )
        if row is None:
            raise NotFound(_no_version(name, version, session, model.id))
        return row

    def _by_id(self, version_id: int) -> ModelVersion:
        with self.store.session() as session:
            row = session.get(VersionRow, version_id)
            assert row is not None
            model = session.get(ModelRow, row.model_id)
            assert model is not None
            return _version(model.name, row, self._alias_map(session, model.id))

    def _alias_map(self, session: Session, model_id: int) -> dict[int, tuple[str, ...]]:
        result: dict[int, list[str]] = {}
        for alias, version_id in session.execute(
            select(AliasRow.alias, AliasRow.version_id)
            .where(AliasRow.model_id == model_id)
            .order_by(AliasRow.alias)
        ):
            result.setdefault(version_id, []).append(alias)
        return {k: tuple(v) for k, v in result.items()}

    def _numbers(self, session: Session, model_id: int) -> dict[int, int]:
        return dict(
            session.execute(
                select(VersionRow.id, VersionRow.version).where(VersionRow.model_id == model_id)
            ).all()
        )


def _version(name: str, row: VersionRow, aliases: Mapping[int, tuple[str, ...]]) -> ModelVersion:
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


def _event(name: str, row: AliasEventRow, numbers: Mapping[int, int]) -> AliasEvent:
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


def _audit(
    session: Session,
    actor: str,
    action: str,
    model_id: int,
    version_id: int | None,
    details: dict[str, Any],
) -> None:
    session.add(
        AuditRow(
            actor=actor, action=action, model_id=model_id, version_id=version_id, details=details
        )
    )


def _no_version(name: str, version: Any, session: Session, model_id: int) -> str:
    known = list(
        session.scalars(
            select(VersionRow.version)
            .where(VersionRow.model_id == model_id)
            .order_by(VersionRow.version)
        )
    )
    return f"model {name!r} has no version {version}; versions: {known or 'none'}"


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
