from __future__ import annotations

import django_filters

from realtime.models import TaskLog
from training.models import TrainedModel
from tuning.models import ParameterTuningJob


class TaskLogFilter(django_filters.FilterSet):
    """Our filter names, and the reference's ``tuning_job_id`` and ``model_id`` beside
    them, which mean the same."""

    tuning_job_id = django_filters.ModelChoiceFilter(
        field_name="tuning_job", queryset=ParameterTuningJob.objects.all()
    )
    model_id = django_filters.ModelChoiceFilter(
        field_name="trained_model", queryset=TrainedModel.objects.all()
    )

    class Meta:
        model = TaskLog
        fields = ("tuning_job", "trained_model", "task_id", "project", "level")
