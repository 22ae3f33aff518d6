"""Alias moves: promote, demote and roll back, each recorded as an alias event and audited."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from steward._exceptions import NotFound
from steward.registry._rows import RegistryRows, audit, no_version
from steward.registry.aliases import apply_move, champion_stack, check_alias
from steward.registry.records import AliasEvent, to_event
from steward.store.tables import AliasEventRow, AliasRow


class AliasMoves(RegistryRows):
    """The alias moves of :class:`~steward.registry.ModelRegistry`."""

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
                raise NotFound(no_version(name, version, session, model.id))
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
            audit(
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
            return to_event(name, row, numbers)

    def _champion_events(self, session: Session, model_id: int) -> list[AliasEventRow]:
        return list(
            session.scalars(
                select(AliasEventRow)
                .where(AliasEventRow.model_id == model_id, AliasEventRow.alias == "champion")
                .order_by(AliasEventRow.id)
            )
        )
