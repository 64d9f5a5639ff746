"""What a running tuning job records: its log and status stream, its trial counters, its
heartbeat and its final state.

Every step that works on a job (prepare, the workers, finalize, the reaper) reports
through these, so the WebSocket, the trial counts and ``tuning_job_finished`` tell the
same story whichever step moved the job.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import DatabaseError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from core.models import JobStatus
from core.services import delivery_over_limit, lost_workers_message
from realtime.services import job_status_send, task_log_append
from tuning.models import ParameterTuningJob
from tuning.selectors import tuning_job_status_payload
from tuning.signals import tuning_job_finished

logger = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 20


def job_log(
    job: ParameterTuningJob,
    message: str,
    *,
    level: str = "INFO",
    task_id: str = "",
    status: dict[str, Any] | None = None,
) -> None:
    """A log line of the job, followed on its WebSocket by ``status`` when given."""
    task_log_append(
        project_id=job.data.project_id,
        tuning_job_id=job.pk,
        message=message,
        level=level,
        task_id=task_id,
        status=status,
    )


def job_status_publish(job: ParameterTuningJob) -> None:
    job_status_send(job_id=job.pk, payload=tuning_job_status_payload(job=job))


def stage_delivered_too_often(job: ParameterTuningJob, *, stage: str, task_id: str) -> bool:
    """Count one more delivery of the job's current stage; past ``MAX_TASK_DELIVERIES``
    (its workers died before finishing) fail the job with the reason and say so."""
    deliveries = delivery_over_limit(model=ParameterTuningJob, pk=job.pk)
    if deliveries is None:
        return False
    message = lost_workers_message(work=f"{stage} of the tuning job", deliveries=deliveries)
    tuning_job_finish(
        job=job,
        status=JobStatus.FAILED,
        error=f"{message} Use less data or fewer algorithms, then start a new job.",
        task_id=task_id,
    )
    return True


def tuning_job_finish(
    *, job: ParameterTuningJob, status: str, error: str = "", task_id: str = ""
) -> None:
    """Put the job in a final state, say why in its log and stream, and announce it."""
    job.status = status
    job.finished_at = timezone.now()
    if error:
        job.error_message = error
    job.save(update_fields=["status", "finished_at", "error_message", "updated_at"])
    job_log(
        job,
        error or f"Job {status.lower()}.",
        level="ERROR" if error else "INFO",
        task_id=task_id,
        status=tuning_job_status_payload(job=job),
    )
    tuning_job_finished.send(sender=ParameterTuningJob, job=job)


def tuning_job_record_trial(
    *, job_id: int, score: float | None, algorithm: str
) -> ParameterTuningJob:
    """Count a finished trial and keep the best score; safe with parallel workers
    because both updates are single conditional UPDATE statements. The row stays
    locked until the job is read back, so each trial reports its own count and
    progress never skips a number when two workers finish at once."""
    now = timezone.now()
    with transaction.atomic():
        jobs = ParameterTuningJob.objects.filter(pk=job_id)
        jobs.update(n_trials_finished=F("n_trials_finished") + 1, heartbeat_at=now)
        if score is not None:
            jobs.filter(Q(best_score__isnull=True) | Q(best_score__lt=score)).update(
                best_score=score, best_algorithm=algorithm
            )
        return ParameterTuningJob.objects.select_related("data").get(pk=job_id)


def tuning_job_claim_trial(*, job_id: int) -> bool:
    """Take one of the job's ``n_trials`` slots; False once they are all taken."""
    return bool(
        ParameterTuningJob.objects.filter(
            pk=job_id,
            status=JobStatus.RUNNING,
            cancel_requested=False,
            n_trials_started__lt=F("n_trials"),
        ).update(n_trials_started=F("n_trials_started") + 1)
    )


@contextmanager
def heartbeat(job_id: int) -> Iterator[None]:
    """Keep ``heartbeat_at`` fresh from a side thread while a task works on the job,
    however long a single fit or data load takes."""
    stop = threading.Event()

    def beat() -> None:
        try:
            while not stop.wait(HEARTBEAT_SECONDS):
                try:
                    ParameterTuningJob.objects.filter(pk=job_id).update(heartbeat_at=timezone.now())
                except DatabaseError:
                    logger.warning("Heartbeat of tuning job %s failed", job_id)
        finally:
            connection.close()

    thread = threading.Thread(target=beat, name=f"heartbeat-job-{job_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
