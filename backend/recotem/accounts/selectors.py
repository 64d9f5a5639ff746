from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from accounts.models import ApiKey
from core.ownership import Requester, visible_to
from recotem_common.api_keys import api_key_refusal


def api_key_refusal_reason(api_key: ApiKey) -> str | None:
    """Why a key that matched may not be used, or None when it may."""
    return api_key_refusal(
        revoked_at=api_key.revoked_at,
        is_active=api_key.is_active,
        expires_at=api_key.expires_at,
        owner_is_active=api_key.owner.is_active,
        now=timezone.now(),
    )


def api_key_list(*, requester: Requester) -> QuerySet[ApiKey]:
    return visible_to(ApiKey.objects.select_related("project"), requester)


def api_keys_usable_by(*, user: Any) -> QuerySet[ApiKey]:
    """Keys of ``user`` that have not been revoked (they may still have expired)."""
    return ApiKey.objects.filter(owner=user, is_active=True, revoked_at__isnull=True)


def user_list() -> QuerySet[Any]:
    return get_user_model().objects.order_by("id")


def refresh_tokens_outstanding(*, user: Any) -> QuerySet[OutstandingToken]:
    """Refresh tokens of ``user`` that could still be exchanged for access tokens."""
    return OutstandingToken.objects.filter(
        user=user, expires_at__gt=timezone.now(), blacklistedtoken__isnull=True
    )
