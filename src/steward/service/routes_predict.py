"""``POST /v1/models/{name}/predict`` (scope ``predict``): the champion answers, logged first.

The handler only translates HTTP to :meth:`Gateway.predict
<steward.service.gateway.Gateway.predict>` and back; the gateway lives on
``app.state.gateway``. Bad rows are a 422 naming the columns and the row; no healthy model
(or a log that cannot be committed) is a 503 saying why.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from steward._exceptions import InputError, Unavailable
from steward.service.auth import Principal, require
from steward.service.errors import ErrorBody, error_json, responses
from steward.service.records import json_bytes
from steward.service.validation import parse_predict_body

router = APIRouter(prefix="/v1/models", tags=["predict"])
Predictor = Annotated[Principal, Depends(require("predict"))]
Name = Annotated[str, Path(min_length=1, max_length=200, description="model name")]


class PredictRequest(BaseModel):
    """Rows to score: one JSON object per row, keyed by column name."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"rows": [{"age": 41, "plan": "pro"}], "ids": ["c-17"]}]},
    )

    rows: list[dict[str, Any]] = Field(
        min_length=1, description="the rows; every feature column is required, null allowed"
    )
    ids: list[str | int] | None = Field(
        default=None,
        description="one id per row for joining labels later; default `<request_id>:<index>`",
    )


class PredictResponse(BaseModel):
    """The answer, the version that gave it, and the id it is logged under."""

    predictions: list[Any] = Field(description="one label (classifier) or value per row")
    scores: list[list[float | None]] | None = Field(
        default=None, description="classifiers: the probability of each class, per row"
    )
    classes: list[Any] | None = Field(default=None, description="the order of `scores`")
    version: int = Field(description="the version that answered")
    served_by: Literal["champion", "fallback"]
    request_id: str = Field(description="the id the rows are logged under (X-Request-ID)")


UNAVAILABLE = {
    503: {
        "model": ErrorBody,
        "description": "no healthy model (no champion; champion failing and no fallback) "
        "or the prediction could not be logged",
    }
}


REQUEST_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": PredictRequest.model_json_schema()}},
    }
}


@router.post(
    "/{name}/predict",
    response_model=PredictResponse,
    response_model_exclude_none=True,
    responses={**responses(401, 403, 404, 413, 422, 429), **UNAVAILABLE},
    openapi_extra=REQUEST_BODY,
)
async def predict(request: Request, name: Name, who: Predictor) -> Response:
    """Score rows with the model's champion (the fallback on error, timeout or open circuit).

    The rows and the answer are committed to the store before this returns; challengers
    answer the same rows in the background under the same `request_id`.
    """
    # The body is parsed once and checked as PredictRequest documents it, and the answer
    # is sent as PredictResponse describes it, already encoded: on one-row requests the
    # pydantic models and FastAPI's response encoding cost more than the model call.
    rows, ids = parse_predict_body(await request.body())
    limit = request.app.state.settings.max_rows_per_request
    if len(rows) > limit:
        raise InputError(f"rows has {len(rows)} rows; at most {limit} per request")
    request_id = request.scope.get("state", {}).get("request_id")
    try:
        result = await request.app.state.gateway.predict(
            name, rows, ids, who, request_id=request_id
        )
    except Unavailable as exc:
        return error_json(503, "Unavailable", str(exc))
    return Response(json_bytes(_answer(result)), media_type="application/json")


def _answer(result: Any) -> dict[str, Any]:
    """A :class:`PredictResult` as the :class:`PredictResponse` body (``None`` fields left
    out, as ``response_model_exclude_none`` did)."""
    body: dict[str, Any] = {"predictions": result.predictions}
    if result.scores is not None:
        body["scores"] = result.scores
    if result.classes is not None:
        body["classes"] = result.classes
    body["version"] = result.version
    body["served_by"] = result.served_by
    body["request_id"] = result.request_id
    return body
