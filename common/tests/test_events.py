"""The model-event wire format both services use."""

from __future__ import annotations

import json

import pytest

from recotem_common.events import (
    ApiKeyRevoked,
    MalformedEvent,
    ModelEvent,
    ModelTrained,
    SlotsChanged,
    decode_event,
    encode_event,
)

EVERY_KIND: list[ModelEvent] = [
    ModelTrained(model_id=12, project_id=3),
    SlotsChanged(project_id=3),
    ApiKeyRevoked(api_key_id=7, key_prefix="AbCd1234"),
]


@pytest.mark.parametrize("event", EVERY_KIND, ids=lambda event: str(event.name))
def test_every_event_reads_back_as_written(event: ModelEvent) -> None:
    assert decode_event(encode_event(event)) == event
    assert decode_event(encode_event(event).encode()) == event


def test_the_message_is_a_flat_json_object_named_by_its_event_field() -> None:
    assert json.loads(encode_event(ModelTrained(model_id=12, project_id=3))) == {
        "event": "model_trained",
        "model_id": 12,
        "project_id": 3,
    }


def test_kinds_and_fields_from_a_newer_publisher_are_ignored() -> None:
    assert decode_event('{"event": "something_new", "x": 1}') is None
    assert decode_event('{"event": "slots_changed", "project_id": 4, "reason": "x"}') == (
        SlotsChanged(project_id=4)
    )


@pytest.mark.parametrize(
    "message",
    [
        "not json",
        "[1, 2]",
        '{"event": "model_trained", "model_id": "x", "project_id": 1}',
        '{"event": "model_trained", "model_id": 1}',
        '{"event": "slots_changed", "project_id": true}',
        '{"event": "api_key_revoked", "api_key_id": 1, "key_prefix": 5}',
    ],
)
def test_malformed_messages_are_refused_with_the_reason(message: str) -> None:
    with pytest.raises(MalformedEvent):
        decode_event(message)
