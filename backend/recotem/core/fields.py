from __future__ import annotations

from typing import Any

from django.core.validators import ProhibitNullCharactersValidator
from django.db.models import QuerySet
from rest_framework import serializers

from core.ownership import Requester, visible_to
from recotem_common.limits import CONTROL_CHARACTER, MAX_ID_LENGTH, control_character_problem


def _no_control_characters(value: str) -> None:
    problem = control_character_problem(value)
    if problem is not None:
        raise serializers.ValidationError(problem, code=CONTROL_CHARACTER)


class IdField(serializers.CharField):
    """A user or item id as the inference service accepts it: at most
    ``MAX_ID_LENGTH`` characters, kept exactly as sent (whitespace included), and never
    with a control character, which is refused with 422 (see ``core.errors``)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", MAX_ID_LENGTH)
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)
        # NUL is one of the control characters, refused with the others' message.
        self.validators = [
            validator
            for validator in self.validators
            if not isinstance(validator, ProhibitNullCharactersValidator)
        ]
        self.validators.append(_no_control_characters)


class OwnedPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A foreign key a client may set only to a row it can see.

    Another tenant's id is reported exactly like an id that does not exist, so the
    answer leaks nothing about other users' data.
    """

    def get_queryset(self) -> QuerySet[Any]:
        queryset = super().get_queryset()
        assert queryset is not None, "an owned foreign key needs a queryset"
        request = self.context.get("request")
        if request is None:
            return queryset.none()
        return visible_to(queryset, Requester.of(request))


class StoredFileField(serializers.FileField):
    """An uploaded file: sent as a file, answered with its storage name, or null once
    the file was removed (``unlink_file``)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(use_url=False, **kwargs)

    def to_representation(self, value: Any) -> str | None:
        return value.name if value else None
