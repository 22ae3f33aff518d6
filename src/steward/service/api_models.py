"""Request and response bodies of the HTTP API (pydantic), so the OpenAPI schema is complete."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

RowId = Annotated[str, StringConstraints(min_length=1, max_length=200)] | int
Label = (
    bool
    | int
    | Annotated[float, Field(allow_inf_nan=False)]
    | Annotated[str, StringConstraints(max_length=1000)]
)
Scope = Literal["predict", "label", "read", "admin"]
ModelName = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class Health(BaseModel):
    status: str


# --- models and versions ----------------------------------------------------------------


class ModelSummary(BaseModel):
    name: str
    description: str
    created_at: datetime
    created_by: str
    versions: int
    aliases: dict[str, list[int]]


class VersionOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    model: str
    version: int
    format: str
    sha256: str
    task: str
    classes: list[Any] | None
    features: list[str]
    schema_: dict[str, Any] = Field(alias="schema")
    lineage: dict[str, Any]
    created_at: datetime
    created_by: str
    trusted: bool
    status: str
    aliases: list[str]


class AliasOut(BaseModel):
    alias: str
    versions: list[int]


class EventOut(BaseModel):
    id: int
    model: str
    alias: str
    action: str
    version: int | None
    previous: int | None
    actor: str
    reason: str
    at: datetime


# --- monitoring -------------------------------------------------------------------------


class WindowOut(BaseModel):
    id: int
    version: int | None
    role: str
    start: datetime
    end: datetime
    rows: int
    labelled: int
    state: str
    closed_at: datetime | None
    checked_at: datetime | None


class FindingOut(BaseModel):
    id: int
    window_id: int | None
    version: int | None
    check: str
    column: str | None
    verdict: str
    statistic: float | None
    p_value: float | None
    effect_size: float | None
    body: dict[str, Any]
    created_at: datetime


class AlertOut(BaseModel):
    id: int
    rule: str
    group_key: str
    state: str
    severity: str
    pending_since: datetime | None
    fired_at: datetime | None
    resolved_at: datetime | None
    last_true_at: datetime | None
    evaluations: int
    summary: str
    evidence: dict[str, Any]
    updated_at: datetime


# --- labels -----------------------------------------------------------------------------


class LabelsIn(BaseModel):
    """Delayed labels: ``labels[i]`` is the label of the row whose id is ``ids[i]``."""

    ids: list[RowId]
    labels: list[Label]


class LabelsOut(BaseModel):
    received: int
    stored: int
    duplicates: int


class CoverageWindow(BaseModel):
    start: datetime
    end: datetime
    predictions: int
    labelled: int
    coverage: float | None


class CoverageOut(BaseModel):
    model: str
    window: str
    items: list[CoverageWindow]


# --- management -------------------------------------------------------------------------


class PromoteIn(BaseModel):
    alias: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]{0,63}$")]
    version: Annotated[int, Field(ge=1)]
    reason: Annotated[str, StringConstraints(max_length=2000)] = ""


class ReasonIn(BaseModel):
    reason: Annotated[str, StringConstraints(max_length=2000)] = ""


class TokenIn(BaseModel):
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    scopes: Annotated[list[Scope], Field(min_length=1)]
    models: Annotated[list[ModelName], Field(min_length=1)] | None = None


class TokenOut(BaseModel):
    id: int
    prefix: str
    name: str
    scopes: list[str]
    models: list[str] | None
    created_at: datetime
    created_by: str
    revoked_at: datetime | None


class TokenCreated(TokenOut):
    token: str = Field(description="the plaintext token; shown this once, never again")
