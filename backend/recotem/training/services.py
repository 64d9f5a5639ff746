"""Model configurations and trained models: validation, training, artifacts, clean-up.

irspack is imported where a model is trained, not with this module, which the web
process loads for its views.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from core.events import publish_model_event_on_commit
from core.exceptions import ApplicationError, Conflict, ValidationFailed, field_error
from core.models import TERMINAL_JOB_STATUSES, JobStatus
from core.services import delivery_over_limit, lost_workers_message, model_update
from core.tasks import TaskName, queue_on_commit, task
from projects.ingestion import item_metadata_fields, load_interactions
from projects.models import Project, TrainingData, ValidationStatus
from projects.selectors import latest_valid_item_metadata
from realtime.services import model_status_send, task_log_append
from recotem_common.artifact import export_recommender, resign_artifact, write_artifact
from recotem_common.artifact.item_metadata import MANIFEST_KEY as ITEM_METADATA
from recotem_common.artifact.item_metadata import metadata_section
from recotem_common.events import ModelTrained
from training.algorithms import (
    MB,
    Algorithm,
    InvalidParametersError,
    Shape,
    UnknownAlgorithmError,
    build_recommender,
    get_algorithm,
    validate_parameters,
)
from training.artifacts import artifact_cache, model_signing_keys, read_stored
from training.models import ModelConfiguration, TrainedModel
from training.selectors import trained_model_status_payload
from training.signals import trained_model_finished
from tuning.splitting import SplitError, SplitSpec, compute_split

if TYPE_CHECKING:
    import pandas as pd

logger = logging.getLogger(__name__)

HOLDOUT_CUTOFFS = (10, 20)
HOLDOUT_METRICS = ("ndcg", "map", "recall", "hit", "precision")
# A quick, reproducible holdout for models trained outside a tuning job.
HOLDOUT_SPLIT = SplitSpec(heldout_ratio=0.2, test_user_ratio=0.2, random_seed=0)
MAX_ERROR_LENGTH = 500
_VERSION_TAG = re.compile(r"^v(\d+)$")


# --- shared checks --------------------------------------------------------------------


def training_data_require_valid(data: TrainingData, *, field: str) -> None:
    """Tuning and training read only data a worker validated."""
    status = data.validation_status
    if status in (ValidationStatus.PENDING, ValidationStatus.VALIDATING):
        message = (
            "This training data is still being validated; try again once its "
            "validation_status is VALID."
        )
        raise field_error(field, message)
    if status != ValidationStatus.VALID:
        reason = data.validation_error or "it did not pass validation"
        message = f"This training data is invalid and cannot be used: {reason}"
        raise field_error(field, message)


# --- model configurations -------------------------------------------------------------


def _algorithm_and_parameters(
    *, recommender_class_name: str, parameters: Any
) -> tuple[str, dict[str, Any]]:
    """The irspack class name and the parameters normalised for it."""
    try:
        algorithm = get_algorithm(recommender_class_name)
    except UnknownAlgorithmError as error:
        raise field_error("recommender_class_name", str(error)) from error
    if not isinstance(parameters, dict):
        message = "parameters_json must be an object mapping parameter names to values."
        raise field_error("parameters_json", message)
    try:
        normalised = validate_parameters(algorithm, parameters)
    except InvalidParametersError as error:
        raise ValidationFailed(
            f"Invalid parameters for {algorithm.class_name}: {error}",
            fields={"parameters_json": error.problems},
        ) from error
    return algorithm.class_name, normalised


def _check_name_free(*, project_id: int, name: str | None, configuration_id: int | None) -> None:
    if not name:
        return
    taken = ModelConfiguration.objects.filter(project=project_id, name=name)
    if configuration_id is not None:
        taken = taken.exclude(pk=configuration_id)
    if taken.exists():
        message = f"The project already has a model configuration named {name!r}."
        raise field_error("name", message)


def model_configuration_create(
    *,
    project: Project,
    recommender_class_name: str,
    parameters_json: Any = None,
    name: str | None = None,
    created_by: Any = None,
) -> ModelConfiguration:
    """A configuration whose class and parameters are validated together."""
    class_name, parameters = _algorithm_and_parameters(
        recommender_class_name=recommender_class_name,
        parameters={} if parameters_json is None else parameters_json,
    )
    _check_name_free(project_id=project.pk, name=name, configuration_id=None)
    return ModelConfiguration.objects.create(
        project=project,
        name=name,
        recommender_class_name=class_name,
        parameters_json=parameters,
        created_by=created_by,
    )


def model_configuration_update(
    *, configuration: ModelConfiguration, data: dict[str, Any]
) -> ModelConfiguration:
    """Rename it or change its class or parameters, validated together; it stays in its
    project."""
    if "project" in data and data["project"].pk != configuration.project_id:
        raise field_error("project", "A model configuration cannot move to another project.")
    class_name, parameters = _algorithm_and_parameters(
        recommender_class_name=data.get(
            "recommender_class_name", configuration.recommender_class_name
        ),
        parameters=data.get("parameters_json", configuration.parameters_json),
    )
    name = data.get("name", configuration.name)
    _check_name_free(
        project_id=configuration.project_id, name=name, configuration_id=configuration.pk
    )
    model_update(
        instance=configuration,
        fields=("name", "recommender_class_name", "parameters_json"),
        data={"name": name, "recommender_class_name": class_name, "parameters_json": parameters},
    )
    return configuration


# --- trained models -------------------------------------------------------------------


def _next_version_tag(project: Project) -> str:
    tags = TrainedModel.objects.filter(configuration__project=project).values_list(
        "version_tag", flat=True
    )
    numbers = [int(m.group(1)) for tag in tags if (m := _VERSION_TAG.match(tag))]
    return f"v{max(numbers, default=0) + 1}"


def model_log(
    model: TrainedModel,
    message: str,
    *,
    level: str = "INFO",
    task_id: str = "",
    tuning_job_id: int | None = None,
) -> None:
    task_log_append(
        project_id=model.configuration.project_id,
        trained_model_id=model.pk,
        tuning_job_id=tuning_job_id,
        message=message,
        level=level,
        task_id=task_id,
    )


def model_status_publish(model: TrainedModel) -> None:
    model_status_send(model_id=model.pk, payload=trained_model_status_payload(model=model))


def trained_model_create(
    *,
    configuration: ModelConfiguration,
    data: TrainingData,
    queue: bool = True,
    holdout_metrics: dict[str, float] | None = None,
) -> TrainedModel:
    """A PENDING model; with ``queue`` its training task starts after commit.

    ``holdout_metrics`` are metrics already measured on a holdout (a tuning job's
    validation split); without them training measures its own.
    """
    if configuration.project_id != data.project_id:
        message = "The training data and the model configuration belong to different projects."
        raise field_error("data_loc", message)
    training_data_require_valid(data, field="data_loc")
    model = TrainedModel.objects.create(
        configuration=configuration,
        data_loc=data,
        metrics_json=holdout_metrics or {},
        version_tag=_next_version_tag(configuration.project),
        task_id=str(uuid.uuid4()) if queue else "",
    )
    if queue:
        model_log(model, f"Training {configuration.recommender_class_name} queued.")
        queue_on_commit(
            task(TaskName.TRAIN_MODEL, model.pk, task_id=model.task_id),
            # The model row is committed already: say why nothing will train it.
            on_failure=lambda error: _fail(model, f"The training could not be queued: {error}"),
        )
    return model


def _fail(
    model: TrainedModel, message: str, *, task_id: str = "", tuning_job_id: int | None = None
) -> None:
    model.status = JobStatus.FAILED
    model.error_message = message[:MAX_ERROR_LENGTH]
    model.finished_at = timezone.now()
    model.save(update_fields=["status", "error_message", "finished_at", "updated_at"])
    model_log(
        model,
        f"Training failed: {model.error_message}",
        level="ERROR",
        task_id=task_id,
        tuning_job_id=tuning_job_id,
    )
    model_status_publish(model)
    trained_model_finished.send(sender=TrainedModel, model=model)


@dataclass
class _Trained:
    content: bytes
    metrics: dict[str, float]
    seconds: float
    irspack_version: str


def trained_model_train(
    *, model_id: int, task_id: str = "", tuning_job_id: int | None = None
) -> TrainedModel:
    """Fit, measure, export and store one model. Every failure ends as FAILED with a
    short reason; this never raises for bad data or parameters."""
    model = TrainedModel.objects.select_related("configuration__project", "data_loc__project").get(
        pk=model_id
    )
    # A redelivered task (its worker was killed) must not revive a model that ended,
    # e.g. one the reaper failed.
    if model.status in TERMINAL_JOB_STATUSES:
        return model
    deliveries = delivery_over_limit(model=TrainedModel, pk=model.pk)
    if deliveries is not None:
        message = lost_workers_message(work="training", deliveries=deliveries)
        _fail(model, f"{message} Lower the model's size or the data, then train again.")
        return model
    model.status = JobStatus.RUNNING
    model.started_at = timezone.now()
    model.task_id = task_id or model.task_id
    model.save(update_fields=["status", "started_at", "task_id", "updated_at"])
    model_status_publish(model)
    model_log(
        model,
        f"Training {model.version_tag} started.",
        task_id=task_id,
        tuning_job_id=tuning_job_id,
    )
    try:
        trained = _train(model)
        name = default_storage.save(
            f"models/project-{model.configuration.project_id}/model-{model.pk}-{model.version_tag}.rctm",
            ContentFile(trained.content),
        )
    except Exception as error:
        logger.exception("Training model %s failed", model.pk)
        message = (
            error.message
            if isinstance(error, ApplicationError)
            else f"{type(error).__name__}: {error}"
        )
        _fail(model, message, task_id=task_id, tuning_job_id=tuning_job_id)
        return model
    model.file.name = name
    model.filesize = len(trained.content)
    model.training_time = trained.seconds
    model.metrics_json = trained.metrics
    model.irspack_version = trained.irspack_version
    model.status = JobStatus.COMPLETED
    model.finished_at = timezone.now()
    model.save()
    model_log(
        model,
        f"Model {model.version_tag} trained in {trained.seconds:.1f} s ({model.filesize:,} bytes).",
        task_id=task_id,
        tuning_job_id=tuning_job_id,
    )
    model_status_publish(model)
    publish_model_event_on_commit(
        ModelTrained(model_id=model.pk, project_id=model.configuration.project_id)
    )
    trained_model_finished.send(sender=TrainedModel, model=model)
    return model


def _train(model: TrainedModel) -> _Trained:
    import irspack
    from irspack.utils import df_to_sparse

    configuration = model.configuration
    project = configuration.project
    try:
        algorithm = get_algorithm(configuration.recommender_class_name)
        params = validate_parameters(algorithm, configuration.parameters_json)
    except (UnknownAlgorithmError, InvalidParametersError) as error:
        raise ValidationFailed(f"The model configuration is not usable: {error}") from error
    frame = load_interactions(model.data_loc)
    frame = frame.drop_duplicates([project.user_column, project.item_column])
    _memory_check(algorithm, params, frame, project)
    metrics = model.metrics_json or _holdout_metrics(frame, project, algorithm, params)
    interactions, user_ids, item_ids = df_to_sparse(frame, project.user_column, project.item_column)
    started = time.perf_counter()
    recommender = build_recommender(algorithm, interactions, params).learn()
    seconds = time.perf_counter() - started
    metadata = latest_valid_item_metadata(project=project)
    described = (
        {}
        if metadata is None
        else {ITEM_METADATA: metadata_section(*item_metadata_fields(metadata))}
    )
    artifact = export_recommender(
        recommender,
        user_ids=[str(u) for u in user_ids],
        item_ids=[str(i) for i in item_ids],
        manifest={
            "parameters": {**params, **recommender.learnt_config},
            "data_fingerprint": model.data_loc.fingerprint or None,
            "metrics": metrics,
            "recotem": {
                "trained_model_id": model.pk,
                "project_id": project.pk,
                "model_configuration_id": configuration.pk,
                "training_data_id": model.data_loc_id,
                "version_tag": model.version_tag,
                "item_meta_data_id": None if metadata is None else metadata.pk,
            },
            **described,
        },
    )
    content = write_artifact(artifact, model_signing_keys()[0])
    return _Trained(
        content=content, metrics=metrics, seconds=seconds, irspack_version=irspack.__version__
    )


def _memory_check(
    algorithm: Algorithm, params: dict[str, Any], frame: pd.DataFrame, project: Project
) -> None:
    """Refuse a fit whose estimated peak memory exceeds ``TRAINING_MEMORY_BUDGET_MB``,
    before anything is fitted: running out of memory would kill the worker instead."""
    shape = Shape(
        n_users=int(frame[project.user_column].nunique()),
        n_items=int(frame[project.item_column].nunique()),
        nnz=len(frame),
    )
    needed = algorithm.estimated_bytes(params, shape) / MB
    budget = settings.TRAINING_MEMORY_BUDGET_MB
    if needed > budget:
        raise ValidationFailed(
            f"Training {algorithm.name} on {shape.n_users:,} users, {shape.n_items:,} items "
            f"and {shape.nnz:,} interactions needs about {needed:,.0f} MB, more than the "
            f"training memory budget of {budget:,} MB (TRAINING_MEMORY_BUDGET_MB). Choose "
            "smaller parameters (fewer components or neighbours) or less data."
        )


def _holdout_metrics(
    frame: pd.DataFrame, project: Project, algorithm: Algorithm, params: dict[str, Any]
) -> dict[str, float]:
    try:
        split = compute_split(
            frame,
            user_column=project.user_column,
            item_column=project.item_column,
            time_column=None,
            spec=HOLDOUT_SPLIT,
        )
    except SplitError:
        logger.info("Data too small for a holdout; model trained without metrics")
        return {}
    from irspack import Evaluator

    recommender = build_recommender(algorithm, split.X_train, params).learn()
    evaluator = Evaluator(split.X_val, offset=split.offset)
    scores = evaluator.get_scores(recommender, list(HOLDOUT_CUTOFFS))
    return {
        name: float(value)
        for name, value in scores.items()
        if name.split("@")[0] in HOLDOUT_METRICS
    }


def trained_model_delete(*, model: TrainedModel) -> None:
    if model.status == JobStatus.RUNNING:
        raise Conflict("The model is being trained; delete it once training ends.")
    slots = list(model.deployment_slots.values_list("name", flat=True))
    if slots:
        raise Conflict(
            f"The model is deployed in slot(s) {', '.join(slots)}; remove it there first."
        )
    name = model.file.name if model.file else ""
    model.delete()
    if name:
        transaction.on_commit(lambda: default_storage.delete(name), robust=True)


def trained_models_reap() -> list[int]:
    """Fail models stuck RUNNING longer than any training task may run."""
    limit = timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 600)
    stale = TrainedModel.objects.filter(
        status=JobStatus.RUNNING, started_at__lt=timezone.now() - limit
    )
    reaped = []
    for model in stale.select_related("configuration"):
        _fail(model, "The training worker stopped before finishing.")
        reaped.append(model.pk)
    minutes = settings.QUEUED_WORK_TIMEOUT_MINUTES
    # Models without a task are trained in the process that created them.
    unstarted = TrainedModel.objects.filter(
        status=JobStatus.PENDING,
        ins_datetime__lt=timezone.now() - timedelta(minutes=minutes),
    ).exclude(task_id="")
    for model in unstarted.select_related("configuration"):
        # Claimed first: a worker may start the training meanwhile.
        claimed = TrainedModel.objects.filter(pk=model.pk, status=JobStatus.PENDING)
        if not claimed.update(status=JobStatus.FAILED):
            continue
        _fail(
            model,
            f"No worker started the training within {minutes} minutes: its queued task was "
            "lost or the workers are down. Train the configuration again.",
        )
        reaped.append(model.pk)
    return reaped


def trained_model_resign(*, model: TrainedModel) -> bool:
    """Re-sign the stored artifact with the current first key; False when it already
    is (nothing is rewritten). The new file replaces the old one in the row first, so
    readers never see a missing file."""
    old_name = model.file.name or ""
    content = resign_artifact(read_stored(old_name), model_signing_keys())
    if content is None:
        return False
    new_name = default_storage.save(old_name, ContentFile(content))
    TrainedModel.objects.filter(pk=model.pk).update(file=new_name, filesize=len(content))
    if new_name != old_name:
        default_storage.delete(old_name)
    artifact_cache.clear()
    return True
