"""The OpenAPI document is behind a token, complete, and true: schemathesis finds no 5xx and
no response that breaks the documented schema on the read and label routes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from conftest import Live, served_model
from steward.store import Store

ERRORS = {"401", "403", "413", "422", "429"}


@pytest.fixture(scope="module")
def live(serve_module: Callable[..., Live], tmp_path_factory: pytest.TempPathFactory) -> Any:
    home = tmp_path_factory.mktemp("openapi")
    store = Store.open(f"sqlite:///{home / 'steward.db'}", home_dir=home)
    served_model(store, home / "m")
    yield serve_module(store)
    store.dispose()


@pytest.fixture(scope="module")
def document(live: Live) -> dict[str, Any]:
    response = httpx.get(
        f"{live.url}/openapi.json", headers={"Authorization": f"Bearer {live.admin}"}
    )
    assert response.status_code == 200
    return response.json()


def test_the_document_needs_a_token(live: Live) -> None:
    assert httpx.get(f"{live.url}/openapi.json").status_code == 401
    assert live.client(live.token("predict")).get("/openapi.json").status_code == 403
    assert httpx.get(f"{live.url}/docs").status_code == 404  # no UI that leaks the schema


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
    ]


def test_every_operation_documents_its_answers(document: dict[str, Any]) -> None:
    assert document["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    for method, path, operation in _operations(document):
        codes = set(operation["responses"])
        success = [c for c in codes if c.startswith("2")]
        assert success, (method, path)
        content = operation["responses"][success[0]]["content"]
        assert all(media.get("schema") or "text/plain" in t for t, media in content.items()), path
        if path == "/healthz":
            assert operation.get("security") is None
            continue
        assert codes >= ERRORS, (method, path, codes)
        assert operation["security"] == [{"HTTPBearer": []}], (method, path)
        if "{" in path:
            assert "404" in codes, (method, path)
        for code in ERRORS:
            ref = operation["responses"][code]["content"]["application/json"]["schema"]["$ref"]
            assert ref.endswith("/ErrorBody"), (method, path, code)


def test_no_route_uploads_models(document: dict[str, Any]) -> None:
    for method, path, operation in _operations(document):
        body = operation.get("requestBody", {}).get("content", {})
        assert "multipart/form-data" not in body and "application/octet-stream" not in body, path
        assert method != "put", path


@pytest.fixture(scope="module")
def api_schema(live: Live, document: dict[str, Any]) -> Any:
    return schemathesis.openapi.from_dict(document)


fuzzed = schemathesis.pytest.from_fixture("api_schema").include(tag=["read", "labels"])


def _positive(case: Any) -> bool:
    meta = getattr(case, "_meta", None)
    return meta is not None and meta.generation.mode == GenerationMode.POSITIVE


def test_read_and_label_routes_hold_to_the_schema(api_schema: Any, live: Live) -> None:
    """Every read and label operation, fuzzed from its schema (schemathesis's strategies,
    driven by hypothesis directly rather than through its pytest plugin)."""
    operations = [
        result.ok() for result in api_schema.include(tag=["read", "labels"]).get_all_operations()
    ]
    assert len(operations) >= 10
    for operation in operations:
        _fuzz(operation, live)


def _fuzz(operation: Any, live: Live) -> None:
    @given(case=operation.as_strategy())
    @settings(
        max_examples=20,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def check(case: Any) -> None:
        name = (case.path_parameters or {}).get("name")
        if name is not None and _positive(case) and len(str(name)) % 2:
            case.path_parameters["name"] = "credit"  # half the valid cases hit a real model
        case.call_and_validate(
            base_url=live.url,
            headers={"Authorization": f"Bearer {live.admin}"},
            # A schema cannot say "a cursor this API issued" or "as many labels as ids", so
            # a schema-valid request may rightly get a 422; every other check stays on.
            excluded_checks=[positive_data_acceptance],
        )

    check()
