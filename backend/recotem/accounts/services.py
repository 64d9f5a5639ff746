from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from accounts.models import ApiKey

LAST_USED_RESOLUTION = timedelta(minutes=1)


def api_key_touch(*, api_key: ApiKey) -> None:
    """Record use, at most once a minute so busy keys do not write on every request."""
    now = timezone.now()
    if api_key.last_used_at and now - api_key.last_used_at < LAST_USED_RESOLUTION:
        return
    ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
    api_key.last_used_at = now
