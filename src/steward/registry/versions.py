"""Register model versions, move aliases, roll back; every move is recorded.

A version is immutable once registered: artifact (stored under a generated id with its
SHA-256), schema, reference profile and reference rows, lineage, who registered it. Only
``trusted`` (set by an admin) and ``status`` (retired) change later. Aliases point at
versions: ``champion`` and ``fallback`` at one each, ``challenger`` at any number. Every move
is an :class:`AliasEvent` with time, actor and reason; ``rollback`` makes the previous
champion the champion again in one step.
"""

from __future__ import annotations

from typing import Any

from steward.registry._moves import AliasMoves
from steward.registry._reads import RegistryReads
from steward.registry._registration import Registration
from steward.registry._rows import audit
from steward.registry.records import AliasEvent, ModelVersion
from steward.store.tables import utcnow

__all__ = ["AliasEvent", "ModelRegistry", "ModelVersion"]


class ModelRegistry(Registration, AliasMoves, RegistryReads):
    """Versions and aliases of every model in one :class:`~steward.store.Store`.

    Registration, alias moves and reads live in their own modules; this class joins them and
    adds what changes a version after registration: trust, retirement, and loading it.
    """

    def trust(self, name: str, version: int, *, actor: str, reason: str = "") -> ModelVersion:
        """Mark a version trusted: formats that run code on load may then load it."""
        with self.store.session() as session:
            row = self._version_row(session, name, version)
            row.trusted, row.trusted_by, row.trusted_at = True, actor, utcnow()
            audit(
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
            audit(
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
