"""Every table Steward keeps, in one SQLAlchemy 2 metadata.

The registry owns models, versions, aliases, alias events, artifacts and plans; the service
adds predictions, labels and tokens; the monitor adds window profiles, findings, alerts,
silences, the notification outbox, jobs and the audit log. Alembic migrations under
``steward/store/migrations`` create exactly this metadata (a test compares them).

Times are timezone-aware UTC everywhere (:class:`UTCDateTime`), JSON columns hold plain
dicts and lists, and ids that users see are either integers the store assigns or random
hex strings the server generates, never names taken from a request.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator[datetime]):
    """A datetime stored as UTC and always read back timezone-aware (SQLite forgets zones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use timezone-aware UTC")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime,
        dict[str, Any]: JSON,
        list[Any]: JSON,
    }


# --- registry -------------------------------------------------------------------------


class ModelRow(Base):
    __tablename__ = "models"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")


class ArtifactRow(Base):
    """Bytes kept under ``<home>/artifacts/<id>``; the id is generated here, never supplied."""

    __tablename__ = "artifacts"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(32))  # model | reference | folder
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class VersionRow(Base):
    """An immutable model version: nothing here changes after registration but trust/status."""

    __tablename__ = "model_versions"
    __table_args__ = (UniqueConstraint("model_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("models.id"))
    version: Mapped[int] = mapped_column(Integer)
    format: Mapped[str] = mapped_column(String(32))
    artifact_id: Mapped[str] = mapped_column(ForeignKey("artifacts.id"))
    sha256: Mapped[str] = mapped_column(String(64))
    schema_json: Mapped[dict[str, Any]] = mapped_column(JSON)
    reference_profile: Mapped[bytes] = mapped_column(LargeBinary)
    reference_artifact_id: Mapped[str | None] = mapped_column(ForeignKey("artifacts.id"))
    task: Mapped[str] = mapped_column(String(32))  # classification | regression | unknown
    classes: Mapped[list[Any] | None] = mapped_column(JSON)
    lineage: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))
    trusted: Mapped[bool] = mapped_column(Boolean, default=False)
    trusted_by: Mapped[str | None] = mapped_column(String(200))
    trusted_at: Mapped[datetime | None] = mapped_column()
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | retired


class AliasRow(Base):
    """Where an alias points now; ``challenger`` may point at several versions."""

    __tablename__ = "aliases"
    __table_args__ = (UniqueConstraint("model_id", "alias", "version_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("models.id"))
    alias: Mapped[str] = mapped_column(String(64))
    version_id: Mapped[int] = mapped_column(ForeignKey("model_versions.id"))
    since: Mapped[datetime] = mapped_column(default=utcnow)


class AliasEventRow(Base):
    """Every alias move, in order (``id`` orders events; ``at`` may tie)."""

    __tablename__ = "alias_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("models.id"), index=True)
    alias: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))  # promote | demote | rollback
    version_id: Mapped[int | None] = mapped_column(ForeignKey("model_versions.id"))
    previous_version_id: Mapped[int | None] = mapped_column(ForeignKey("model_versions.id"))
    actor: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(default=utcnow)


class PlanRow(Base):
    """A maintenance plan version; the newest version of a model's plan is in force."""

    __tablename__ = "plans"
    __table_args__ = (UniqueConstraint("model_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("models.id"))
    version: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(Text)  # the YAML as written
    body: Mapped[dict[str, Any]] = mapped_column(JSON)  # the validated plan
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))


# --- service --------------------------------------------------------------------------


class TokenRow(Base):
    """An API token: the public ``prefix`` finds the row, the secret is kept only hashed."""

    __tablename__ = "tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    prefix: Mapped[str] = mapped_column(String(32), unique=True)
    hash: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(200))
    scopes: Mapped[list[Any]] = mapped_column(JSON)
    models: Mapped[list[Any] | None] = mapped_column(JSON)  # None: every model
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))
    revoked_at: Mapped[datetime | None] = mapped_column()


class PredictionRow(Base):
    """One input row and what one version answered for it; shadows share the request id."""

    __tablename__ = "predictions"
    __table_args__ = (
        UniqueConstraint("request_id", "row_index", "version_id"),
        Index("ix_predictions_model_time", "model_id", "created_at"),
        Index("ix_predictions_model_row", "model_id", "row_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    request_id: Mapped[str] = mapped_column(String(64))
    row_index: Mapped[int] = mapped_column(Integer)
    row_id: Mapped[str] = mapped_column(String(200))
    model_id: Mapped[int] = mapped_column(ForeignKey("models.id"))
    version_id: Mapped[int] = mapped_column(ForeignKey("model_versions.id"))
    role: Mapped[str] = mapped_column(String(16))  # champion | fallback | shadow
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON)
    output: Mapped[Any] = mapped_column(JSON)
    scores: Mapped[list[Any] | None] = mapped_column(JSON)  # per-class probabilities
    error: Mapped[str | None] = mapped_column(Text)
    latency_ms: Mapped[float] = mapped_column(Float)
    token_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LabelRow(Base):
    """A delayed label by row id; kept even before its prediction arrives; stored once."""

    __tablename__ = "labels"
    __table_args__ = (UniqueConstraint("model_id", "row_id"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("models.id"))
    row_id: Mapped[str] = mapped_column(String(200))
    label: Mapped[Any] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    token_id: Mapped[int | None] = mapped_column(Integer)


# --- monitor --------------------------------------------------------------------------


class WindowRow(Base):
    """One window of one version's traffic: its profile (merged incrementally) and state."""

    __tablename__ = "windows"
    __table_args__ = (UniqueConstraint("model_id", "version_id", "role", "start"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("models.id"))
    version_id: Mapped[int] = mapped_column(ForeignKey("model_versions.id"))
    role: Mapped[str] = mapped_column(String(16))  # served | shadow
    start: Mapped[datetime] = mapped_column()
    end: Mapped[datetime] = mapped_column()
    rows: Mapped[int] = mapped_column(BigInteger, default=0)
    labelled: Mapped[int] = mapped_column(BigInteger, default=0)
    profile: Mapped[bytes | None] = mapped_column(LargeBinary)
    state: Mapped[str] = mapped_column(String(16), default="open")  # open | closed
    closed_at: Mapped[datetime | None] = mapped_column()
    checked_at: Mapped[datetime | None] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class FindingRow(Base):
    __tablename__ = "findings"
    __table_args__ = (Index("ix_findings_model_window", "model_id", "window_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("models.id"))
    version_id: Mapped[int | None] = mapped_column(ForeignKey("model_versions.id"))
    window_id: Mapped[int | None] = mapped_column(ForeignKey("windows.id"))
    check: Mapped[str] = mapped_column(String(100))
    column: Mapped[str | None] = mapped_column(String(200))
    verdict: Mapped[str] = mapped_column(String(16))
    statistic: Mapped[float | None] = mapped_column(Float)
    p_value: Mapped[float | None] = mapped_column(Float)
    effect_size: Mapped[float | None] = mapped_column(Float)
    body: Mapped[dict[str, Any]] = mapped_column(JSON)  # Finding.to_dict()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AlertRow(Base):
    """One alert instance: a rule × group key, with its state machine and history."""

    __tablename__ = "alerts"
    __table_args__ = (Index("ix_alerts_model_rule", "model_id", "rule", "group_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("models.id"))
    rule: Mapped[str] = mapped_column(String(200))
    group_key: Mapped[str] = mapped_column(String(400))
    state: Mapped[str] = mapped_column(String(16))  # pending | firing | resolved
    severity: Mapped[str] = mapped_column(String(16))
    pending_since: Mapped[datetime | None] = mapped_column()
    fired_at: Mapped[datetime | None] = mapped_column()
    resolved_at: Mapped[datetime | None] = mapped_column()
    last_true_at: Mapped[datetime | None] = mapped_column()
    evaluations: Mapped[int] = mapped_column(Integer, default=0)
    summary: Mapped[str] = mapped_column(Text, default="")
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    true_streak: Mapped[int] = mapped_column(Integer, default=0)  # consecutive true windows
    false_streak: Mapped[int] = mapped_column(Integer, default=0)  # consecutive false windows
    window_end: Mapped[datetime | None] = mapped_column()  # last window evaluated (idempotence)


class SilenceRow(Base):
    __tablename__ = "silences"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model_id: Mapped[int | None] = mapped_column(ForeignKey("models.id"))
    rule: Mapped[str | None] = mapped_column(String(200))  # None: every rule
    starts_at: Mapped[datetime] = mapped_column(default=utcnow)
    ends_at: Mapped[datetime] = mapped_column()
    created_by: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text, default="")


class OutboxRow(Base):
    """A notification to send; the unique key makes each alert state go out once per route."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(400), unique=True)
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id"))
    route: Mapped[str] = mapped_column(String(200))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(16), default="pending")  # pending | sent | dead
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column()


class JobRow(Base):
    """A retraining (or other long) job: recorded before it starts, finished or failed."""

    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("models.id"))
    kind: Mapped[str] = mapped_column(String(32))  # retrain | gate | ...
    trigger: Mapped[str] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(16))  # running | done | failed
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()
    version_id: Mapped[int | None] = mapped_column(ForeignKey("model_versions.id"))
    error: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class AuditRow(Base):
    """Every action with its actor and evidence; append-only."""

    __tablename__ = "audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(64))
    model_id: Mapped[int | None] = mapped_column(ForeignKey("models.id"))
    version_id: Mapped[int | None] = mapped_column(ForeignKey("model_versions.id"))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


metadata = Base.metadata
