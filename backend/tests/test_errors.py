"""Every refusal a service raises reaches the client as the status of its kind, in the
one envelope, whatever view it travels through."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from rest_framework.test import APIClient

from core.errors import exception_handler
from core.exceptions import (
    ApplicationError,
    AuthenticationFailed,
    Conflict,
    NotFound,
    PayloadTooLarge,
    ValidationFailed,
    field_error,
)


@pytest.mark.parametrize(
    ("refusal", "status", "code"),
    [
        (ValidationFailed("Give a name."), 400, "validation_error"),
        (AuthenticationFailed("The token expired."), 401, "authentication_failed"),
        (NotFound("No such model."), 404, "not_found"),
        (Conflict("The job is still running."), 409, "conflict"),
        (PayloadTooLarge("The file is too large."), 413, "payload_too_large"),
    ],
)
def test_each_kind_of_refusal_has_its_status_and_code(
    refusal: ApplicationError, status: int, code: str
) -> None:
    response = exception_handler(refusal, {})

    assert response is not None
    assert response.status_code == status
    assert response.data == {
        "error": {"code": code, "message": refusal.message},
        "detail": refusal.message,
    }


def test_a_field_error_names_its_field() -> None:
    response = exception_handler(
        field_error("cron_expression", "'x' is not cron.", field_message="Use five fields."), {}
    )

    assert response is not None
    assert response.status_code == 400
    assert response.data["error"]["fields"] == {"cron_expression": ["Use five fields."]}
    assert response.data["error"]["message"] == "'x' is not cron."


def test_a_refusal_of_no_known_kind_is_a_logged_server_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.ERROR, logger="core.errors"):
        response = exception_handler(ApplicationError("Which kind?"), {})

    assert response is not None
    assert response.status_code == 500
    assert response.data["error"]["code"] == "server_error"
    assert "Which kind?" not in str(response.data)
    assert caplog.records


def _warnings_and_worse(caplog: pytest.LogCaptureFixture) -> list[tuple[str, int, bool]]:
    return [
        (record.name, record.levelno, record.exc_info is not None)
        for record in caplog.records
        if record.levelno >= logging.WARNING
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/api/v1/ping/", "/api/v1/project/", "/api/v1/auth/user/", "/admin/login/"]
)
def test_more_than_1000_query_parameters_is_a_400_in_the_envelope_at_warning(
    anon_client: APIClient, caplog: pytest.LogCaptureFixture, path: str
) -> None:
    query = "&".join(f"p{n}=1" for n in range(1001))
    with caplog.at_level(logging.INFO):
        response = anon_client.get(f"{path}?{query}")

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert "1000" in error["message"]
    assert _warnings_and_worse(caplog)
    assert all(
        level == logging.WARNING and not trace for _, level, trace in _warnings_and_worse(caplog)
    )


@pytest.mark.django_db
def test_more_than_1000_form_fields_is_a_400_in_the_envelope_at_warning(
    anon_client: APIClient, caplog: pytest.LogCaptureFixture
) -> None:
    fields = "&".join(f"f{n}=1" for n in range(1001))
    with caplog.at_level(logging.INFO):
        response = anon_client.post(
            "/api/v1/auth/login/", fields, content_type="application/x-www-form-urlencoded"
        )

    assert response.status_code == 400
    assert "1000" in response.json()["error"]["message"]
    assert all(level == logging.WARNING for _, level, _ in _warnings_and_worse(caplog))


def test_a_json_body_above_the_memory_limit_is_413_at_warning(
    client: APIClient, caplog: pytest.LogCaptureFixture, settings: Any
) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    body = json.dumps({"name": "x" * 20_000, "user_column": "u", "item_column": "i"})
    with caplog.at_level(logging.INFO):
        response = client.post("/api/v1/project/", body, content_type="application/json")

    assert response.status_code == 413
    error = response.json()["error"]
    assert error["code"] == "payload_too_large"
    assert "10000 bytes" in error["message"]
    assert _warnings_and_worse(caplog)
    assert all(
        level == logging.WARNING and not trace for _, level, trace in _warnings_and_worse(caplog)
    )


@pytest.mark.parametrize(
    "path",
    ["/api/v1/project_summary/first/", "/api/v1/no_such_endpoint/", "/nothing-here"],
)
def test_a_path_no_route_matches_answers_404_in_the_envelope(
    anon_client: APIClient, path: str
) -> None:
    response = anon_client.get(path)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"] == {
        "code": "not_found",
        "message": f"There is no endpoint at {path}.",
    }
