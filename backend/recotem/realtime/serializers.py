from __future__ import annotations

from rest_framework import serializers

from realtime.models import TaskLog


class TaskLogSerializer(serializers.ModelSerializer[TaskLog]):
    class Meta:
        model = TaskLog
        fields = [
            "id",
            "project",
            "tuning_job",
            "trained_model",
            "task_id",
            "level",
            "contents",
            "ins_datetime",
        ]
        read_only_fields = fields
