"""Delayed labels: ``POST /v1/models/{name}/labels`` (scope ``label``) and their coverage."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request

from steward._exceptions import InputError
from steward.service.api_models import CoverageOut, LabelsIn, LabelsOut
from steward.service.auth import Principal, require
from steward.service.errors import responses
from steward.service.label_store import coverage, store_labels

router = APIRouter(
    prefix="/v1/models/{name}/labels",
    tags=["labels"],
    responses=responses(401, 403, 404, 413, 422, 429),
)
Name = Annotated[str, Path(min_length=1, max_length=200, description="model name")]


@router.post("", response_model=LabelsOut, responses=responses(409))
def post_labels(
    request: Request,
    name: Name,
    body: LabelsIn,
    who: Annotated[Principal, Depends(require("label"))],
) -> dict[str, Any]:
    """Store labels by row id, once each: re-sending is a no-op, a changed label is a 409."""
    limit = request.app.state.settings.max_rows_per_request
    if len(body.ids) > limit:
        raise InputError(f"ids: {len(body.ids)} rows, more than the limit of {limit}")
    state = request.app.state
    result = store_labels(state.store, name, body.ids, body.labels, who.token_id, state.clock())
    return {"received": result.received, "stored": result.stored, "duplicates": result.duplicates}


@router.get("/coverage", response_model=CoverageOut)
def label_coverage(
    request: Request,
    name: Name,
    _: Annotated[Principal, Depends(require("read"))],
    window: Annotated[str, Query(pattern=r"^[1-9]\d{0,3}(s|m|h|D|W)$")] = "1D",
    windows: Annotated[int, Query(ge=1, le=1000, description="how many recent windows")] = 30,
) -> dict[str, Any]:
    """Per recent window with traffic: served predictions, labelled ones, and their share."""
    items = coverage(request.app.state.store, name, window, windows)
    return {"model": name, "window": window, "items": items}
