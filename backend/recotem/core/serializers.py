"""What every app's serializers share."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from rest_framework import serializers
from rest_framework.request import Request

from core.filters import unknown_parameters_refuse
from core.models import JobStatus


class QuerySerializer(serializers.Serializer[dict[str, Any]]):
    """An endpoint's query parameters, declared and validated like a body (a filter
    serializer). Views call :meth:`parse` instead of reading ``request.query_params``
    by hand, and list the class in the schema: ``extend_schema(parameters=[...])``.
    A bad value answers 400 naming the parameter; a missing one takes its default; an
    undeclared one answers 400 too, as on lists (``core.filters``).
    """

    @classmethod
    def parse(cls, request: Request) -> dict[str, Any]:
        unknown_parameters_refuse(request, cls().fields)
        query = cls(data=request.query_params)
        query.is_valid(raise_exception=True)
        return dict(query.validated_data)


class BasenameChangeSerializer(serializers.Serializer[dict[str, Any]]):
    """``PATCH`` of an upload or a trained model: the new ``basename``, and nothing else."""

    basename = serializers.CharField(max_length=512, trim_whitespace=False)

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        # Named before anything else: a client sending other fields expects them changed.
        others = sorted(set(data).difference(self.fields)) if isinstance(data, Mapping) else []
        if others:
            raise serializers.ValidationError(
                {name: ["Only basename can be changed here."] for name in others}
            )
        return super().to_internal_value(data)


# The reference reported its work through Celery result rows; ours keeps the task ids and
# the state on the job or model itself, which outlives those rows.
_CELERY_STATE = {
    JobStatus.PENDING: "PENDING",
    JobStatus.RUNNING: "STARTED",
    JobStatus.COMPLETED: "SUCCESS",
    JobStatus.FAILED: "FAILURE",
    JobStatus.CANCELLED: "REVOKED",
}


class TaskSerializer(serializers.Serializer[dict[str, Any]]):
    task_id = serializers.CharField()
    status = serializers.CharField(
        help_text="Celery's name of the state: PENDING, STARTED, SUCCESS, FAILURE or REVOKED."
    )
    date_created = serializers.DateTimeField()
    date_done = serializers.DateTimeField(allow_null=True)


class TaskLinkSerializer(serializers.Serializer[dict[str, Any]]):
    """One entry of the reference's ``task_links``."""

    task = TaskSerializer()


def task_links(
    *,
    task_ids: Sequence[str],
    status: str,
    created: datetime,
    finished: datetime | None,
) -> list[dict[str, Any]]:
    """The reference's ``task_links`` of a job or a model: its Celery tasks and state."""
    state = _CELERY_STATE.get(JobStatus(status), "PENDING")
    return [
        {
            "task": {
                "task_id": task_id,
                "status": state,
                "date_created": created,
                "date_done": finished,
            }
        }
        for task_id in task_ids
        if task_id
    ]
