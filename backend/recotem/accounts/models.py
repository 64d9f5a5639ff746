from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from core.models import TimeStampedModel


class ApiKey(TimeStampedModel):
    """A project-bound credential for scripts; only its PBKDF2 hash is stored."""

    OWNER_PATH = "owner"
    PROJECT_PATH = "project"

    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="api_keys"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_keys"
    )
    name = models.CharField(max_length=256)
    key_prefix = models.CharField(max_length=16, db_index=True)
    hashed_key = models.CharField(max_length=256)
    # SHA-256 of the whole key, which identifies it without PBKDF2; empty for keys
    # issued before it was stored until their first verification (recotem_common.api_keys).
    lookup_digest = models.CharField(max_length=64, blank=True, default="")
    scopes = models.JSONField(default=list)
    is_active = models.BooleanField(default=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta(TimeStampedModel.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["project", "name"], name="unique_api_key_name_per_project"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} (rctm_{self.key_prefix}…)"

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()
