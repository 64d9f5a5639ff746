"""Model events: what the backend tells the inference service, and how it is written.

The backend publishes one JSON object per change on :data:`CHANNEL`, in the Redis
database for model events (``redis_urls.MODEL_EVENTS_DB``); every inference worker
subscribes to it. Events are notifications, not the source of truth: a listener re-reads
the database when it gets one, so a lost event only delays a change until the listener's
periodic re-checks.

Each kind of event is a frozen dataclass whose fields are the JSON object's fields, plus
``"event"``, the kind's name. :func:`encode_event` writes one, :func:`decode_event` reads
one back; both services use these two functions, so the wire format exists once.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, ClassVar

CHANNEL = "recotem:model_events"


class EventName(StrEnum):
    MODEL_TRAINED = "model_trained"
    SLOTS_CHANGED = "slots_changed"
    API_KEY_REVOKED = "api_key_revoked"


@dataclass(frozen=True)
class ModelTrained:
    """A model finished training; its file is stored and its row is COMPLETED."""

    name: ClassVar[EventName] = EventName.MODEL_TRAINED
    model_id: int
    project_id: int


@dataclass(frozen=True)
class SlotsChanged:
    """A project's deployment slots or its running A/B test changed: re-read its routing."""

    name: ClassVar[EventName] = EventName.SLOTS_CHANGED
    project_id: int


@dataclass(frozen=True)
class ApiKeyRevoked:
    """A key was revoked, deleted, or its owner deactivated: forget what is cached of it."""

    name: ClassVar[EventName] = EventName.API_KEY_REVOKED
    api_key_id: int
    key_prefix: str


ModelEvent = ModelTrained | SlotsChanged | ApiKeyRevoked
EVENT_TYPES: dict[str, type[ModelEvent]] = {
    kind.name: kind for kind in (ModelTrained, SlotsChanged, ApiKeyRevoked)
}


class MalformedEvent(ValueError):
    """A message on the channel that is not an event this version can read."""


def encode_event(event: ModelEvent) -> str:
    return json.dumps({"event": str(event.name), **dataclasses.asdict(event)})


def decode_event(message: str | bytes) -> ModelEvent | None:
    """The event in a message, or None for a kind this version does not know (a newer
    publisher). Fields the kind does not declare are ignored, for the same reason."""
    try:
        payload = json.loads(message)
    except (TypeError, ValueError) as exc:
        raise MalformedEvent(f"not JSON: {message!r}") from exc
    if not isinstance(payload, dict):
        raise MalformedEvent(f"not a JSON object: {payload!r}")
    kind = EVENT_TYPES.get(payload.get("event"))  # type: ignore[arg-type]
    if kind is None:
        return None
    values = {field.name: _field(payload, field) for field in dataclasses.fields(kind)}
    return kind(**values)


def _field(payload: dict[str, Any], field: dataclasses.Field[Any]) -> Any:
    value = payload.get(field.name)
    # ``from __future__ import annotations`` leaves the declared types as their names.
    expected = int if field.type == "int" else str
    # bool is an int to Python, never an id to us.
    if not isinstance(value, expected) or isinstance(value, bool):
        raise MalformedEvent(
            f"{payload['event']} needs {field.name} as {expected.__name__}, got {value!r}"
        )
    return value
