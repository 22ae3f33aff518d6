"""Reading the registry: models, versions by number or alias, aliases, their history, references."""

from __future__ import annotations

import io
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import select

from steward._exceptions import NotFound
from steward.registry._rows import RegistryRows, no_version
from steward.registry.aliases import check_alias
from steward.registry.records import AliasEvent, ModelVersion, to_event, to_version
from steward.store.tables import AliasEventRow, AliasRow, ArtifactRow, ModelRow, VersionRow


class RegistryReads(RegistryRows):
    """The read side of :class:`~steward.registry.ModelRegistry`."""

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
            return [to_version(name, row, aliases) for row in rows]

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
                raise NotFound(no_version(name, version, session, model.id))
            return to_version(name, row, self._alias_map(session, model.id))

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
            return [to_version(name, row, aliases) for row in rows]

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
            return [to_event(name, row, numbers) for row in rows]

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
