"""Failing the tuning jobs whose workers died (run by beat every minute)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import close_old_connections
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from core.models import JobStatus
from tuning.models import ParameterTuningJob
from tuning.progress import job_log, tuning_job_finish
from tuning.selectors import tuning_job_status_payload
from tuning.signals import tuning_job_finished

STALE_AFTER = timedelta(minutes=5)


def tuning_jobs_reap(
    *, now: datetime | None = None, stale_after: timedelta = STALE_AFTER
) -> list[int]:
    """Fail RUNNING jobs whose tasks stopped heartbeating (a killed worker, a lost
    message): their trials so far stay readable, only the job is closed."""
    close_old_connections()
    cutoff = (now or timezone.now()) - stale_after
    stale = ParameterTuningJob.objects.annotate(
        last_seen=Coalesce("heartbeat_at", "started_at", "ins_datetime")
    ).filter(status=JobStatus.RUNNING, last_seen__lt=cutoff)
    reaped = []
    minutes = int(stale_after.total_seconds() // 60)
    for job in stale.select_related("data"):
        updated = ParameterTuningJob.objects.filter(
            Q(heartbeat_at__isnull=True) | Q(heartbeat_at__lt=cutoff),
            pk=job.pk,
            status=JobStatus.RUNNING,
        ).update(status=JobStatus.FAILED, finished_at=timezone.now())
        if not updated:
            continue
        job.refresh_from_db()
        error = (
            f"The tuning workers stopped responding (no heartbeat for {minutes} "
            "minutes). Trials finished so far are kept."
        )
        job.error_message = error
        job.save(update_fields=["error_message", "updated_at"])
        job_log(job, error, level="ERROR", status=tuning_job_status_payload(job=job))
        tuning_job_finished.send(sender=ParameterTuningJob, job=job)
        reaped.append(job.pk)
    return reaped + _reap_unstarted(now or timezone.now())


def _reap_unstarted(now: datetime) -> list[int]:
    """Fail PENDING jobs no worker took within the queued-work timeout."""
    minutes = settings.QUEUED_WORK_TIMEOUT_MINUTES
    unstarted = ParameterTuningJob.objects.filter(
        status=JobStatus.PENDING, ins_datetime__lt=now - timedelta(minutes=minutes)
    )
    error = (
        f"No worker started the job within {minutes} minutes: its queued task was lost or "
        "the workers are down. Create the job again once workers are running."
    )
    reaped = []
    for job in unstarted:
        # Claimed first: a worker may start the job meanwhile.
        claimed = ParameterTuningJob.objects.filter(pk=job.pk, status=JobStatus.PENDING)
        if claimed.update(status=JobStatus.FAILED):
            tuning_job_finish(job=job, status=JobStatus.FAILED, error=error)
            reaped.append(job.pk)
    return reaped
