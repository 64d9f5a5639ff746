"""The first step of a tuning job: load its data once, compute the split every worker
shares, store it, and create the job's Optuna study."""

from __future__ import annotations

import logging

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from core.exceptions import ApplicationError
from core.models import TERMINAL_JOB_STATUSES, JobStatus
from projects.ingestion import load_interactions
from tuning import study as studies
from tuning.models import ParameterTuningJob, SplitConfig
from tuning.progress import (
    heartbeat,
    job_log,
    job_status_publish,
    stage_delivered_too_often,
    tuning_job_finish,
)
from tuning.splitting import SplitError, SplitSpec, compute_split, dump_split, sha256

logger = logging.getLogger(__name__)


def tuning_job_prepare(*, job_id: int, task_id: str = "") -> None:
    job = ParameterTuningJob.objects.select_related("data__project", "split", "evaluation").get(
        pk=job_id
    )
    # A redelivered task (its worker was killed) must not revive a job that ended.
    if job.status in TERMINAL_JOB_STATUSES:
        return
    if stage_delivered_too_often(job, stage="preparation", task_id=task_id):
        return
    # RUNNING here: the previous worker died while preparing. The preparation starts
    # over; what it stores (the split, the study) is replaced, not added to.
    import irspack

    now = timezone.now()
    job.status = JobStatus.RUNNING
    job.started_at = job.heartbeat_at = now
    job.irspack_version = irspack.__version__
    job.save(
        update_fields=["status", "started_at", "heartbeat_at", "irspack_version", "updated_at"]
    )
    job_status_publish(job)
    job_log(job, "Loading the training data and computing the split.", task_id=task_id)
    try:
        with heartbeat(job.pk):
            _prepare_split_and_study(job, task_id=task_id)
        # The next stage (finishing) counts its own deliveries.
        ParameterTuningJob.objects.filter(pk=job.pk).update(deliveries=0)
    except (ApplicationError, SplitError) as error:
        tuning_job_finish(job=job, status=JobStatus.FAILED, error=str(error), task_id=task_id)
    except Exception as error:
        logger.exception("Preparing tuning job %s failed", job.pk)
        tuning_job_finish(
            job=job,
            status=JobStatus.FAILED,
            error=f"Preparing the job failed: {error}",
            task_id=task_id,
        )


def _split_spec(split: SplitConfig) -> SplitSpec:
    return SplitSpec(
        scheme=split.scheme,
        heldout_ratio=split.heldout_ratio,
        n_heldout=split.n_heldout,
        test_user_ratio=split.test_user_ratio,
        n_test_users=split.n_test_users,
        random_seed=split.random_seed,
    )


def _prepare_split_and_study(job: ParameterTuningJob, *, task_id: str) -> None:
    project = job.data.project
    frame = load_interactions(job.data)
    split = compute_split(
        frame,
        user_column=project.user_column,
        item_column=project.item_column,
        time_column=project.time_column or None,
        spec=_split_spec(job.split),
    )
    content = dump_split(split)
    digest = sha256(content)
    name = default_storage.save(f"tuning/job-{job.pk}/split.npz", ContentFile(content))
    job.split_file = name
    job.save(update_fields=["split_file", "updated_at"])
    with studies.storage() as rdb:
        studies.create_study(
            rdb,
            job=job,
            user_attrs={
                "split_sha256": digest,
                "split_file": name,
                "algorithms": job.tried_algorithms_json,
                "cutoff": job.evaluation.cutoff,
                "target_metric": job.evaluation.target_metric,
                "n_users": int(split.X_train.shape[0]),
                "n_items": int(split.X_train.shape[1]),
                "nnz": int(split.X_train.nnz),
            },
        )
    job_log(
        job,
        f"Split ready ({job.split.get_scheme_display()}): {split.X_train.shape[0]} users, "
        f"{split.X_train.shape[1]} items, {split.X_train.nnz} training interactions, "
        f"{split.n_val_users} validation users with {split.X_val.nnz} held-out "
        f"interactions. Split file sha256 {digest[:12]}.",
        task_id=task_id,
    )
