from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from accounts.models import ApiKey
from core.models import ACTIVE_JOB_STATUSES, JobStatus
from core.ownership import Requester, visible_to
from deployments.models import DeploymentSlot
from deployments.selectors import project_production
from projects.ingestion import load_item_metadata
from projects.models import ItemMetaData, Project, TrainingData, ValidationStatus
from projects.readers import ACCEPTED_SUFFIXES
from retraining.selectors import project_schedule
from training.models import ModelConfiguration, TrainedModel
from tuning.models import ParameterTuningJob

if TYPE_CHECKING:
    import pandas as pd


def item_metadata_frame(*, metadata: ItemMetaData) -> pd.DataFrame:
    """The metadata indexed by item id; the first row of a repeated id wins."""
    item_column = metadata.project.item_column
    return load_item_metadata(metadata).drop_duplicates(item_column).set_index(item_column)


def metadata_rows(
    frame: pd.DataFrame, item_column: str, item_ids: Sequence[str]
) -> list[dict[str, Any]]:
    """One row per id, in the order given; an item without metadata gets nulls."""
    found = frame.reindex(list(item_ids))
    # JSON has no NaN: missing metadata becomes null.
    found = found.astype(object).where(found.notna(), None)
    return [
        {item_column: item, **{str(key): value for key, value in row.items()}}
        for item, row in zip(item_ids, found.to_dict("records"), strict=True)
    ]


def item_meta_data_items(*, metadata: ItemMetaData, item_ids: Sequence[str]) -> dict[str, Any]:
    """The metadata rows of the given items, for showing titles instead of bare ids."""
    frame = item_metadata_frame(metadata=metadata)
    item_column = metadata.project.item_column
    return {
        "item_column": item_column,
        "columns": [item_column, *(str(column) for column in frame.columns)],
        "rows": metadata_rows(frame, item_column, list(dict.fromkeys(item_ids))),
    }


def upload_limits() -> dict[str, Any]:
    """What an upload must be, so a client can refuse a file before sending it."""
    return {
        "max_upload_size": settings.MAX_UPLOAD_SIZE,
        "accepted_suffixes": list(ACCEPTED_SUFFIXES),
        "compressed_suffix": ".gz",
    }


def latest_valid_item_metadata(*, project: Project) -> ItemMetaData | None:
    """The item metadata a model trained now describes its items with."""
    return (
        ItemMetaData.objects.filter(project=project, validation_status=ValidationStatus.VALID)
        .order_by("-ins_datetime", "-id")
        .first()
    )


def project_list(*, requester: Requester) -> QuerySet[Project]:
    return visible_to(Project.objects.select_related("owner"), requester)


def training_data_busy_reason(*, training_data: TrainingData) -> str | None:
    """Why the data is in use by a tuning job or a training that has not finished."""
    job = ParameterTuningJob.objects.filter(
        data=training_data, status__in=ACTIVE_JOB_STATUSES
    ).first()
    if job is not None:
        return f"Tuning job #{job.pk} ({job.status.lower()}) is using this data."
    model = TrainedModel.objects.filter(
        data_loc=training_data, status__in=ACTIVE_JOB_STATUSES
    ).first()
    if model is not None:
        return f"Trained model #{model.pk} ({model.status.lower()}) is using this data."
    return None


def project_busy_reason(*, project: Project) -> str | None:
    if ParameterTuningJob.objects.filter(
        data__project=project, status__in=ACTIVE_JOB_STATUSES
    ).exists():
        return "A tuning job of this project is still pending or running."
    if TrainedModel.objects.filter(
        configuration__project=project, status__in=ACTIVE_JOB_STATUSES
    ).exists():
        return "A model of this project is still being trained."
    return None


def project_has_results(*, project: Project) -> bool:
    """Whether tuning or training has already used the project's column names."""
    return (
        ParameterTuningJob.objects.filter(data__project=project).exists()
        or TrainedModel.objects.filter(configuration__project=project).exists()
    )


def project_summary(*, project: Project) -> dict[str, Any]:
    """Counts of everything a project holds; each count is one aggregate query."""
    data = TrainingData.objects.filter(project=project).aggregate(
        total=Count("id"),
        valid=Count("id", filter=Q(validation_status=ValidationStatus.VALID)),
    )
    jobs_by_status = dict.fromkeys(JobStatus.values, 0)
    for row in (
        ParameterTuningJob.objects.filter(data__project=project)
        .order_by()
        .values("status")
        .annotate(n=Count("id"))
    ):
        jobs_by_status[row["status"]] = row["n"]
    slots = DeploymentSlot.objects.filter(project=project).aggregate(
        total=Count("id"), active=Count("id", filter=Q(is_active=True))
    )
    now = timezone.now()
    keys = ApiKey.objects.filter(project=project).aggregate(
        total=Count("id"),
        active=Count(
            "id",
            filter=Q(is_active=True, revoked_at__isnull=True)
            & (Q(expires_at__isnull=True) | Q(expires_at__gt=now)),
        ),
    )
    n_models = TrainedModel.objects.filter(
        configuration__project=project, status=JobStatus.COMPLETED
    ).count()
    latest = (
        TrainingData.objects.filter(project=project)
        .order_by("-ins_datetime", "-id")
        .values(
            "id",
            "basename",
            "validation_status",
            "n_rows",
            "n_users",
            "n_items",
            "ins_datetime",
        )
        .first()
    )
    return {
        "project": project.pk,
        "name": project.name,
        "ins_datetime": project.ins_datetime,
        "n_data": data["total"],
        "n_valid_data": data["valid"],
        "n_item_meta_data": ItemMetaData.objects.filter(project=project).count(),
        "n_model_configurations": ModelConfiguration.objects.filter(project=project).count(),
        "n_models": n_models,
        "n_tuning_jobs": sum(jobs_by_status.values()),
        "tuning_jobs_by_status": jobs_by_status,
        "n_complete_jobs": jobs_by_status[JobStatus.COMPLETED],
        "n_deployment_slots": slots["total"],
        "n_active_deployment_slots": slots["active"],
        "n_api_keys": keys["total"],
        "n_active_api_keys": keys["active"],
        "latest_training_data": latest,
        "retraining_schedule": project_schedule(project_id=project.pk),
        **project_production(project_id=project.pk),
    }
