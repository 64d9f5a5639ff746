from __future__ import annotations

from core.viewsets import OwnedModelViewSet
from realtime.filters import TaskLogFilter
from realtime.models import TaskLog
from realtime.serializers import TaskLogSerializer


class TaskLogViewSet(OwnedModelViewSet):
    """Log lines of tuning jobs and trainings; written by the workers only."""

    queryset = TaskLog.objects.all()
    serializer_class = TaskLogSerializer
    http_method_names = ["get", "head", "options"]
    filterset_class = TaskLogFilter
    ordering_fields = ["id", "ins_datetime"]
