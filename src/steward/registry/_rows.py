"""Row lookups every part of the registry shares: models, versions, aliases, the audit log."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from steward._exceptions import NotFound
from steward.registry.records import ModelVersion, to_version
from steward.store import Store
from steward.store.tables import AliasRow, AuditRow, ModelRow, VersionRow


class RegistryRows:
    """The store a registry works on, and how it finds the rows of a model."""

    def __init__(self, store: Store) -> None:
        self.store = store

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
            raise NotFound(no_version(name, version, session, model.id))
        return row

    def _by_id(self, version_id: int) -> ModelVersion:
        with self.store.session() as session:
            row = session.get(VersionRow, version_id)
            assert row is not None
            model = session.get(ModelRow, row.model_id)
            assert model is not None
            return to_version(model.name, row, self._alias_map(session, model.id))

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


def audit(
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


def no_version(name: str, version: Any, session: Session, model_id: int) -> str:
    known = list(
        session.scalars(
            select(VersionRow.version)
            .where(VersionRow.model_id == model_id)
            .order_by(VersionRow.version)
        )
    )
    return f"model {name!r} has no version {version}; versions: {known or 'none'}"
