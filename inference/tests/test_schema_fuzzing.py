"""Property-based run of schemathesis against the served schema: every answer is one
the schema declares, and none is a server error."""

from __future__ import annotations

from collections.abc import Callable

from inference.config import Settings
from recotem_common.schema_fuzzing import fuzz_schema
from tests.conftest import HOST, World, running_server


def test_every_operation_answers_only_what_the_schema_declares(
    make_settings: Callable[..., Settings], world: World
) -> None:
    with running_server(make_settings()) as port:
        run = fuzz_schema(
            f"http://{HOST}:{port}/openapi.json",
            headers={"X-API-Key": world.predict_key},
            max_examples=50,
        )
    assert run.passed, run.report
