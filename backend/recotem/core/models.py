from __future__ import annotations

from django.db import models


class TimeStampedModel(models.Model):
    """Creation and update timestamps, newest first by default."""

    ins_datetime = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
        ordering = ["-id"]


class JobStatus(models.TextChoices):
    """Where a piece of background work is: a tuning job, a trained model."""

    PENDING = "PENDING", "Pending"
    RUNNING = "RUNNING", "Running"
    COMPLETED = "COMPLETED", "Completed"
    FAILED = "FAILED", "Failed"
    CANCELLED = "CANCELLED", "Cancelled"


# Work that a worker still owns: it may not be deleted, and its inputs stay in use.
ACTIVE_JOB_STATUSES = frozenset({JobStatus.PENDING, JobStatus.RUNNING})
# Work that has ended for good: nothing changes it any more.
TERMINAL_JOB_STATUSES = frozenset({JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED})
