from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils import timezone

from core.exceptions import Conflict, PayloadTooLarge, field_error
from core.limits import too_large_message
from core.services import delivery_over_limit, lost_workers_message, model_update
from core.tasks import TaskName, queue_on_commit, task
from deployments.models import DeploymentSlot
from projects.ingestion import (
    TableStats,
    inspect_interactions,
    inspect_item_metadata,
    stored_file,
)
from projects.models import ItemMetaData, Project, TrainingData, Upload, ValidationStatus
from projects.readers import DataFileError, kind_from_name
from projects.selectors import (
    project_busy_reason,
    project_has_results,
    training_data_busy_reason,
)
from projects.uploads import HashedUploadedFile

logger = logging.getLogger(__name__)

COLUMN_FIELDS = ("user_column", "item_column", "time_column")
PROJECT_FIELDS = ("name", *COLUMN_FIELDS)
FAILED_UNEXPECTEDLY = "The file could not be read because of an internal error."


def _check_columns(*, user_column: str, item_column: str, time_column: str | None) -> None:
    names = {"user_column": user_column, "item_column": item_column}
    if time_column is not None:
        names["time_column"] = time_column
    for field, value in names.items():
        if not value.strip():
            raise field_error(
                field, f"{field} must name a column.", field_message="This may not be blank."
            )
    if user_column == item_column:
        message = "The user column and the item column must be different columns."
        raise field_error("item_column", message)
    if time_column in (user_column, item_column):
        message = "The time column must differ from the user and item columns."
        raise field_error("time_column", message)


@contextmanager
def _name_unique_per_owner(*, owner_id: int, name: str, project_id: int | None) -> Iterator[None]:
    """Refuse a name the owner already uses, also when two requests race to take it."""
    message = f"You already have a project named '{name}'."
    clash = Project.objects.filter(owner_id=owner_id, name=name)
    if project_id is not None:
        clash = clash.exclude(pk=project_id)
    if clash.exists():
        raise field_error("name", message)
    try:
        with transaction.atomic():
            yield
    except IntegrityError as exc:
        raise field_error("name", message) from exc


def project_create(
    *,
    owner: Any,
    name: str,
    user_column: str,
    item_column: str,
    time_column: str | None = None,
) -> Project:
    time_column = time_column or None
    _check_columns(user_column=user_column, item_column=item_column, time_column=time_column)
    with _name_unique_per_owner(owner_id=owner.pk, name=name, project_id=None):
        return Project.objects.create(
            owner=owner,
            name=name,
            user_column=user_column,
            item_column=item_column,
            time_column=time_column,
        )


def project_update(*, project: Project, data: dict[str, Any]) -> Project:
    """Renames or re-maps a project; uploads are validated again when columns change."""
    data = dict(data)
    if "time_column" in data:
        data["time_column"] = data["time_column"] or None
    columns = {field: data.get(field, getattr(project, field)) for field in COLUMN_FIELDS}
    columns_changed = columns != {field: getattr(project, field) for field in COLUMN_FIELDS}
    if columns_changed and project_has_results(project=project):
        raise Conflict(
            "The column names cannot change once tuning or training has used this "
            "project's data; create a new project instead."
        )
    _check_columns(**columns)
    name = data.get("name", project.name)
    with (
        transaction.atomic(),
        _name_unique_per_owner(owner_id=project.owner_id, name=name, project_id=project.pk),
    ):
        model_update(instance=project, fields=PROJECT_FIELDS, data=data)
        if columns_changed:
            _revalidate_project_uploads(project)
    return project


def _revalidate_project_uploads(project: Project) -> None:
    for model in VALIDATIONS:
        uploads = model.objects.filter(project=project).exclude(file="").exclude(file=None)
        ids = list(uploads.values_list("pk", flat=True))
        uploads.update(
            validation_status=ValidationStatus.PENDING,
            validation_error="",
            deliveries=0,
            updated_at=timezone.now(),
        )
        for pk in ids:
            _queue_validation(model, pk)


VALIDATIONS: dict[type[Upload], TaskName] = {
    TrainingData: TaskName.VALIDATE_TRAINING_DATA,
    ItemMetaData: TaskName.VALIDATE_ITEM_META_DATA,
}


def _queue_validation(model: type[Upload], pk: int) -> None:
    def unqueued(error: Exception) -> None:
        # The row and its file are committed already: keep both and say how to retry.
        message = f"The validation could not be queued: {error}. Ask to validate it again."
        model.objects.filter(pk=pk, validation_status=ValidationStatus.PENDING).update(
            validation_status=ValidationStatus.INVALID, validation_error=message
        )

    queue_on_commit(task(VALIDATIONS[model], pk), on_failure=unqueued)


def _delete_files_after_commit(names: list[str]) -> None:
    def delete() -> None:
        for name in names:
            try:
                default_storage.delete(name)
            except OSError:
                logger.warning("Could not delete stored upload %s", name, exc_info=True)

    transaction.on_commit(delete)


def _stored_names(uploads: Any) -> list[str]:
    return [name for name in uploads.values_list("file", flat=True) if name]


def project_delete(*, project: Project) -> None:
    """Deletes a project with everything it holds, including its stored uploads."""
    reason = project_busy_reason(project=project)
    if reason is not None:
        raise Conflict(f"{reason} Cancel it before deleting the project.")
    with transaction.atomic():
        names = _stored_names(TrainingData.objects.filter(project=project))
        names += _stored_names(ItemMetaData.objects.filter(project=project))
        # Slots protect their models from deletion; with the whole project going,
        # they go first.
        DeploymentSlot.objects.filter(project=project).delete()
        project.delete()
        _delete_files_after_commit(names)


def _fingerprint(file: UploadedFile) -> str:
    if isinstance(file, HashedUploadedFile) and file.sha256:
        return file.sha256
    digest = hashlib.sha256()
    for chunk in file.chunks():
        digest.update(chunk)
    file.seek(0)
    return digest.hexdigest()


def _check_upload(file: UploadedFile) -> str:
    """The upload's base name, once it is known to be non-empty, small enough and named."""
    basename = PurePath(file.name or "").name
    try:
        kind_from_name(basename)
    except DataFileError as exc:
        raise field_error("file", exc.message) from exc
    size = file.size or 0
    if size == 0:
        message = "The file is empty."
        raise field_error("file", message)
    if size > settings.MAX_UPLOAD_SIZE:
        raise PayloadTooLarge(too_large_message(settings.MAX_UPLOAD_SIZE))
    return basename


def _store_upload(upload: Upload, file: UploadedFile, *, queue: bool) -> None:
    basename = _check_upload(file)
    upload.basename = basename
    upload.filesize = file.size
    upload.fingerprint = _fingerprint(file)
    upload.validation_status = ValidationStatus.PENDING
    suffix = "".join(PurePath(basename).suffixes[-2:]).lower()
    # Stored under a random name; the client's name is kept only as ``basename``.
    upload.file.save(f"{uuid.uuid4().hex}{suffix}", file, save=False)
    try:
        with transaction.atomic():
            upload.save()
            if queue:
                _queue_validation(type(upload), upload.pk)
    except BaseException:
        upload.file.delete(save=False)
        raise
    if upload.validation_status == ValidationStatus.PENDING:
        upload.refresh_from_db(fields=["validation_status", "validation_error"])


def training_data_create(
    *, project: Project, file: UploadedFile, queue: bool = True
) -> TrainingData:
    """Stores an interaction log and queues its validation (unless the caller
    validates it itself: ``queue=False``)."""
    training_data = TrainingData(project=project)
    _store_upload(training_data, file, queue=queue)
    return training_data


def item_meta_data_create(
    *, project: Project, file: UploadedFile, queue: bool = True
) -> ItemMetaData:
    """Stores an item-metadata table and queues its validation (unless ``queue=False``)."""
    item_meta_data = ItemMetaData(project=project)
    _store_upload(item_meta_data, file, queue=queue)
    return item_meta_data


def _ensure_not_busy(upload: Upload, action: str) -> None:
    if isinstance(upload, TrainingData):
        reason = training_data_busy_reason(training_data=upload)
        if reason is not None:
            raise Conflict(f"{reason} Wait for it to finish before you {action}.")


def upload_unlink_file(*, upload: Upload) -> Upload:
    """Deletes the stored file but keeps the row and its statistics."""
    _ensure_not_busy(upload, "remove its file")
    name = upload.file.name if upload.file else ""
    with transaction.atomic():
        type(upload).objects.filter(pk=upload.pk).update(file=None)
        upload.file = None
        if name:
            _delete_files_after_commit([name])
    return upload


def upload_revalidate(*, upload: Upload) -> Upload:
    """Queues the validation of a stored file again, e.g. after the broker was down."""
    if not upload.file:
        raise Conflict("The file of this upload was removed; upload it again.")
    _ensure_not_busy(upload, "validate it again")
    model = type(upload)
    queued = model.objects.filter(pk=upload.pk).exclude(
        validation_status__in=(ValidationStatus.PENDING, ValidationStatus.VALIDATING)
    )
    with transaction.atomic():
        if not queued.update(
            validation_status=ValidationStatus.PENDING,
            validation_error="",
            deliveries=0,
            updated_at=timezone.now(),
        ):
            raise Conflict("The file is already waiting for validation or being validated.")
        _queue_validation(model, upload.pk)
    upload.refresh_from_db()
    return upload


def upload_delete(*, upload: Upload) -> None:
    _ensure_not_busy(upload, "delete it")
    name = upload.file.name if upload.file else ""
    try:
        with transaction.atomic():
            upload.delete()
            if name:
                _delete_files_after_commit([name])
    except ProtectedError as exc:
        raise Conflict(
            "A model trained on this data is deployed in a deployment slot; "
            "remove it from the slot before deleting the data."
        ) from exc


def _validate(model: type[Upload], pk: int, inspect: Callable[[Upload], TableStats]) -> None:
    upload = model.objects.select_related("project").filter(pk=pk).first()
    if upload is None or not upload.file:
        return
    deliveries = delivery_over_limit(model=model, pk=pk)
    if deliveries is not None:
        message = lost_workers_message(work="validation", deliveries=deliveries)
        model.objects.filter(pk=pk).update(
            validation_status=ValidationStatus.INVALID,
            validation_error=f"{message} Upload a smaller file or ask to validate it again.",
            updated_at=timezone.now(),
        )
        return
    model.objects.filter(pk=pk).update(
        validation_status=ValidationStatus.VALIDATING, updated_at=timezone.now()
    )
    result: dict[str, Any]
    try:
        stats = inspect(upload)
    except DataFileError as exc:
        result = {"validation_status": ValidationStatus.INVALID, "validation_error": exc.message}
    except Exception:
        logger.exception("Validation of %s #%s failed", model.__name__, pk)
        result = {
            "validation_status": ValidationStatus.INVALID,
            "validation_error": FAILED_UNEXPECTEDLY,
        }
    else:
        result = {
            "validation_status": ValidationStatus.VALID,
            "validation_error": "",
            "file_format": stats.file_format,
            "columns": stats.columns,
            "n_rows": stats.n_rows,
            "n_items": stats.n_items,
        }
        if model is TrainingData:
            result["n_users"] = stats.n_users
        else:
            item_column = upload.project.item_column
            result["valid_columns_list_json"] = [c for c in stats.columns if c != item_column]
    # update(), not save(): the row may have been unlinked while it was being read.
    model.objects.filter(pk=pk).update(validated_at=timezone.now(), **result)


def uploads_reap() -> list[tuple[str, int]]:
    """Fail validations no worker started within the queued-work timeout, or that ran
    longer than any task may run (a killed worker); either can be asked for again."""
    now = timezone.now()
    queued = timedelta(minutes=settings.QUEUED_WORK_TIMEOUT_MINUTES)
    running = timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 600)
    bounds = (
        (
            ValidationStatus.PENDING,
            now - queued,
            f"No worker started the validation within {int(queued.total_seconds() // 60)} "
            "minutes: its queued task was lost or the workers are down.",
        ),
        (
            ValidationStatus.VALIDATING,
            now - running,
            "The validation worker stopped before finishing.",
        ),
    )
    reaped = []
    for model in VALIDATIONS:
        for status, cutoff, reason in bounds:
            stalled = model.objects.filter(validation_status=status, updated_at__lt=cutoff)
            ids = list(stalled.values_list("pk", flat=True))
            stalled.filter(pk__in=ids).update(
                validation_status=ValidationStatus.INVALID,
                validation_error=f"{reason} Ask to validate it again.",
                updated_at=now,
            )
            reaped += [(model.__name__, pk) for pk in ids]
    return reaped


def training_data_validate(*, training_data_id: int) -> None:
    """Reads the stored file once and records its statistics or the first problem."""

    def inspect(upload: Upload) -> TableStats:
        project = upload.project
        return inspect_interactions(
            stored_file(upload),
            user_column=project.user_column,
            item_column=project.item_column,
            time_column=project.time_column or None,
        )

    _validate(TrainingData, training_data_id, inspect)


def item_meta_data_validate(*, item_meta_data_id: int) -> None:
    def inspect(upload: Upload) -> TableStats:
        return inspect_item_metadata(stored_file(upload), item_column=upload.project.item_column)

    _validate(ItemMetaData, item_meta_data_id, inspect)
