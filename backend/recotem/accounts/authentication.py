"""``X-API-Key`` authentication.

PBKDF2 is slow by design, so a successful verification is remembered in the cache under
the SHA-256 of the presented key. The key's row is still read on every request, so a
revoked or expired key, or a deactivated owner, is refused at once.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.hashers import check_password
from django.core.cache import cache
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from accounts import services
from accounts.models import ApiKey
from accounts.selectors import api_key_refusal_reason
from recotem_common.api_keys import key_digest, lookup_prefix

API_KEY_HEADER = "X-API-Key"
VERIFIED_KEY_CACHE_SECONDS = 300


def _verified_cache_key(raw_key: str) -> str:
    return f"api-key-verified:{key_digest(raw_key)}"


def _find_key(raw_key: str) -> ApiKey | None:
    cached_id = cache.get(_verified_cache_key(raw_key))
    if cached_id is not None:
        return ApiKey.objects.select_related("owner", "project").filter(pk=cached_id).first()
    prefix = lookup_prefix(raw_key)
    if prefix is None:
        return None
    for candidate in ApiKey.objects.select_related("owner", "project").filter(key_prefix=prefix):
        if check_password(raw_key, candidate.hashed_key):
            cache.set(_verified_cache_key(raw_key), candidate.pk, VERIFIED_KEY_CACHE_SECONDS)
            return candidate
    return None


class ApiKeyAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[Any, ApiKey] | None:
        raw_key = request.headers.get(API_KEY_HEADER)
        if not raw_key:
            return None
        api_key = _find_key(raw_key.strip())
        if api_key is None:
            raise exceptions.AuthenticationFailed("Invalid API key.")
        reason = api_key_refusal_reason(api_key)
        if reason is not None:
            raise exceptions.AuthenticationFailed(reason)
        services.api_key_touch(api_key=api_key)
        return api_key.owner, api_key

    def authenticate_header(self, request: Request) -> str:
        return API_KEY_HEADER
