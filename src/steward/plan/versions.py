"""Plans versioned in the store: every applied change is a new numbered version.

The newest version of a model's plan is in force. Each version keeps the YAML exactly as
written (what ``steward plan show`` prints, and what the plan is rebuilt from) and the
validated body with every default filled in (what the JSON view shows). Applying the same
text twice is a no-op, so ``steward plan apply`` can run on every deploy.

>>> import tempfile, pathlib
>>> from steward.store import Store
>>> from steward.store.tables import ModelRow
>>> store = Store.open(f"sqlite:///{pathlib.Path(tempfile.mkdtemp()) / 'steward.db'}")
>>> with store.session() as session:
...     session.add(ModelRow(name="credit", created_by="ana"))
>>> apply_plan(store, "model: credit\\n", actor="ana").version
1
>>> apply_plan(store, "model: credit\\n", actor="ana").version
1
>>> current_plan(store, "credit").plan.gate.alpha
0.05
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from steward._exceptions import NotFound, PlanError
from steward.plan.loading import validate_text
from steward.plan.schema import MaintenancePlan
from steward.store import Store
from steward.store.tables import AuditRow, ModelRow, PlanRow, utcnow


@dataclass(frozen=True)
class PlanVersion:
    """One stored version of a model's plan."""

    model: str
    version: int
    plan: MaintenancePlan
    source: str
    sha256: str
    created_at: datetime
    created_by: str


def apply_plan(
    store: Store,
    text: str,
    *,
    actor: str,
    model: str | None = None,
    filename: str = "<plan>",
) -> PlanVersion:
    """Validate ``text`` and store it as the model's newest plan version.

    ``model``, when given, must match the plan's ``model`` (a guard against applying one
    model's plan to another). Returns the newest version unchanged when its text is the
    same, so applying is idempotent. ``filename`` only names the text in error messages.
    """
    plan = validate_text(text, filename=filename)
    if model is not None and model != plan.model:
        raise PlanError(f"the plan is for model {plan.model!r}, not {model!r}")
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    with store.session() as session:
        row = _model_row(session, plan.model, lock=True)
        newest = _newest(session, row.id)
        if newest is not None and newest.sha256 == digest:
            return _version(row.name, newest)
        stored = _insert(session, row, plan, text, digest, actor, newest)
        return _version(row.name, stored)


def current_plan(store: Store, model: str) -> PlanVersion | None:
    """The plan in force for ``model`` (its newest version), or ``None`` if it has none."""
    with store.session() as session:
        row = _model_row(session, model)
        newest = _newest(session, row.id)
        return None if newest is None else _version(row.name, newest)


def plan_history(store: Store, model: str) -> list[PlanVersion]:
    """Every version of ``model``'s plan, oldest first."""
    with store.session() as session:
        row = _model_row(session, model)
        query = select(PlanRow).where(PlanRow.model_id == row.id).order_by(PlanRow.version)
        return [_version(row.name, plan) for plan in session.scalars(query)]


def get_plan(store: Store, model: str, version: int) -> PlanVersion:
    """Version ``version`` of ``model``'s plan; :class:`NotFound` when there is none."""
    with store.session() as session:
        row = _model_row(session, model)
        query = select(PlanRow).where(PlanRow.model_id == row.id, PlanRow.version == version)
        stored = session.scalars(query).one_or_none()
        if stored is None:
            raise NotFound(f"model {model!r} has no plan version {version}")
        return _version(row.name, stored)


def _model_row(session: Session, name: str, *, lock: bool = False) -> ModelRow:
    """The model's row; locked for update while applying so versions never collide."""
    query = select(ModelRow).where(ModelRow.name == name)
    if lock:
        query = query.with_for_update()
    row = session.scalars(query).one_or_none()
    if row is None:
        raise NotFound(f"model {name!r} is not registered; register it before applying a plan")
    return row


def _newest(session: Session, model_id: int) -> PlanRow | None:
    query = select(PlanRow).where(PlanRow.model_id == model_id)
    return session.scalars(query.order_by(PlanRow.version.desc()).limit(1)).first()


def _insert(
    session: Session,
    model: ModelRow,
    plan: MaintenancePlan,
    text: str,
    digest: str,
    actor: str,
    newest: PlanRow | None,
) -> PlanRow:
    """A new version row plus its audit record, in the caller's unit of work."""
    number = 1 if newest is None else newest.version + 1
    body = plan.model_dump(mode="json", by_alias=True)
    now = utcnow()
    row = PlanRow(
        model_id=model.id,
        version=number,
        source=text,
        body=body,
        sha256=digest,
        created_at=now,
        created_by=actor,
    )
    session.add(row)
    details = {"plan_version": number, "sha256": digest}
    if newest is not None:
        details["previous_version"] = newest.version
    session.add(
        AuditRow(at=now, actor=actor, action="plan.apply", model_id=model.id, details=details)
    )
    session.flush()
    return row


def _version(model: str, row: PlanRow) -> PlanVersion:
    """A stored row as a :class:`PlanVersion`; the plan is rebuilt from the YAML as written.

    Rebuilding from the source (not the filled-in body) keeps which settings the author
    wrote explicitly, which per-column overrides rely on.
    """
    return PlanVersion(
        model=model,
        version=row.version,
        plan=validate_text(row.source, filename=f"{model} plan v{row.version}"),
        source=row.source,
        sha256=row.sha256,
        created_at=row.created_at,
        created_by=row.created_by,
    )
