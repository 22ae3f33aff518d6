"""What serves each model: champion, fallback, challengers and policy, as last read.

Aliases and the plan are re-read at most every :attr:`ModelDirectory.refresh_s` seconds (in
the background, so no request waits for it) or at once after :meth:`ModelDirectory.
invalidate`, so a promotion made by another process sharing the store is served within
about a second. Loaded models are cached per version (versions are immutable); a version
that cannot be loaded is logged and left out (a champion that cannot load is a champion
failure, which the fallback answers).
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from steward._exceptions import StewardError
from steward.registry import ModelRegistry
from steward.registry.formats._base import first_line
from steward.service.records import VersionContext
from steward.service.settings import ServiceSettings
from steward.store import Store
from steward.store.tables import ModelRow

LOG = logging.getLogger("steward.service.gateway")


@dataclass(frozen=True)
class Policy:
    """Per-model serving knobs: the plan's ``fallback`` and ``monitor.window``, else settings."""

    timeout_s: float
    breaker_failures: int
    breaker_window_s: float
    breaker_reset_s: float
    window: str = "1D"
    fallback_version: int | None = None


@dataclass
class Entry:
    """What serves one model now, as last read from the store."""

    champion: VersionContext | None
    champion_error: str | None
    fallback: VersionContext | None
    challengers: list[VersionContext]
    policy: Policy
    checked: float = field(default_factory=time.monotonic)


class ModelDirectory:
    """The :class:`Entry` of every model this process serves, refreshed from the store."""

    refresh_s = 1.0

    def __init__(self, store: Store, registry: ModelRegistry, settings: ServiceSettings) -> None:
        self.store = store
        self.registry = registry
        self.settings = settings
        self._entries: dict[str, Entry] = {}
        self._contexts: dict[tuple[str, int], VersionContext] = {}
        self._refreshing: dict[str, asyncio.Task[Entry]] = {}
        self._generation: dict[str, int] = {}  # bumped by invalidate: late refreshes lose

    def cached(self, name: str) -> Entry | None:
        """The entry as last read, without touching the store (``None``: not read yet)."""
        return self._entries.get(name)

    def invalidate(self, name: str | None = None) -> None:
        """Forget what serves ``name`` (every model when ``None``): the next request re-reads
        aliases and plan first (call after a promotion made in this process)."""
        for key in [name] if name is not None else list(self._entries):
            self._entries.pop(key, None)
            self._refreshing.pop(key, None)
            self._generation[key] = self._generation.get(key, 0) + 1

    async def load_all(self) -> None:
        """Read every registered model now (so first requests do not pay for loading)."""
        for name in await asyncio.to_thread(self.registry.models):
            if name not in self._entries:
                try:
                    await self._refresh(name)
                except Exception as exc:  # a broken model must not stop the others
                    LOG.error("cannot prepare model %r: %s", name, exc)

    async def entry(self, name: str) -> Entry:
        """The cached entry; stale ones are refreshed in the background, missing ones now."""
        entry = self._entries.get(name)
        if entry is None:
            return await self._refresh(name)
        if time.monotonic() - entry.checked > self.refresh_s and name not in self._refreshing:
            self._refresh_task(name)
        return entry

    def _refresh_task(self, name: str) -> asyncio.Task[Entry]:
        task = asyncio.get_running_loop().create_task(self._resolve_async(name))
        self._refreshing[name] = task
        task.add_done_callback(lambda t: self._refresh_done(name, t))
        return task

    def _refresh_done(self, name: str, task: asyncio.Task[Entry]) -> None:
        if self._refreshing.get(name) is task:
            del self._refreshing[name]
        if not task.cancelled() and task.exception() is not None:
            LOG.warning("refreshing model %r failed: %s", name, task.exception())

    async def _refresh(self, name: str) -> Entry:
        task = self._refreshing.get(name) or self._refresh_task(name)
        return await asyncio.shield(task)

    async def _resolve_async(self, name: str) -> Entry:
        generation = self._generation.get(name, 0)
        entry = await asyncio.to_thread(self._resolve, name)
        if self._generation.get(name, 0) == generation:
            self._entries[name] = entry
        return entry

    def _resolve(self, name: str) -> Entry:
        """Read aliases and plan, loading versions this process has not loaded yet."""
        aliases = self.registry.aliases(name)
        policy = self._policy(name)
        champion, champion_error = None, None
        if aliases.get("champion"):
            try:
                champion = self._context(name, aliases["champion"][-1])
            except StewardError as exc:
                champion_error = f"cannot load: {first_line(exc)}"
        fallback_number = policy.fallback_version or (aliases.get("fallback") or [None])[-1]
        return Entry(
            champion=champion,
            champion_error=champion_error,
            fallback=self._optional(name, fallback_number, "fallback"),
            challengers=[
                ctx
                for number in aliases.get("challenger", [])
                if (ctx := self._optional(name, number, "challenger")) is not None
            ],
            policy=policy,
        )

    def _optional(self, name: str, number: int | None, role: str) -> VersionContext | None:
        if number is None:
            return None
        try:
            return self._context(name, number)
        except StewardError as exc:
            LOG.error("%s v%s (%s) cannot be loaded: %s", name, number, role, exc)
            return None

    def _context(self, name: str, number: int) -> VersionContext:
        """The loaded version (cached: versions never change once registered)."""
        found = self._contexts.get((name, number))
        if found is not None:
            return found
        version = self.registry.get(name, number)
        loaded = self.registry.load(name, number)
        reference = self.registry.reference_profile(name, number)
        with self.store.session() as session:
            model_id = session.scalar(select(ModelRow.id).where(ModelRow.name == name))
        context = VersionContext(
            model=name,
            model_id=int(model_id),
            version=number,
            version_id=version.id,
            schema=version.schema,
            task=version.task,
            classes=list(loaded.classes) if loaded.classes is not None else version.classes,
            reference=reference,
            loaded=loaded,
        )
        self._contexts[(name, number)] = context
        return context

    def _policy(self, name: str) -> Policy:
        s = self.settings
        plan = _current_plan(self.store, name)
        if plan is None:
            return Policy(
                s.timeout_ms / 1000, s.breaker_failures, s.breaker_window_s, s.breaker_reset_s
            )
        f = plan.fallback
        return Policy(
            timeout_s=f.timeout_ms / 1000,
            breaker_failures=f.breaker_failures,
            breaker_window_s=f.breaker_window_s,
            breaker_reset_s=f.breaker_reset_s,
            window=plan.monitor.window,
            fallback_version=f.version,
        )


def _current_plan(store: Store, name: str) -> Any:
    """The plan in force, or ``None`` (no plan: the settings' defaults apply)."""
    from steward.plan.versions import current_plan

    found = current_plan(store, name)
    return found.plan if found is not None else None
