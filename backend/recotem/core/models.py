from __future__ import annotations

from django.db import models


class TimeStampedModel(models.Model):
    """Creation and update timestamps, newest first by default."""

    ins_datetime = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
        ordering = ["-id"]
