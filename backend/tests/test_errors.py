"""Every refusal a service raises reaches the client as the status of its kind, in the
one envelope, whatever view it travels through."""

from __future__ import annotations

import logging

import pytest

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
