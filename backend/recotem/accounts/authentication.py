"""``X-API-Key`` authentication.

PBKDF2 is slow by design, so a successful verification is remembered in the cache under
the SHA-256 of the presented key. The key's row is still read on every request, so a
revoked or expired key, or a deactivated owner, is refused at once. Only keys that may
be used are ever hashed against, and failed verifications are counted per client and
per key prefix (``FAILED_KEY_VERIFICATIONS``): past that, attempts answer 429 before any
hashing. While the cache is unreachable verifications go to the database every time
and nothing is counted: slower, but every request is still answered.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from dj_rest_auth.jwt_auth import JWTCookieAuthentication
from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.core.cache import cache
from rest_framework import authentication, exceptions
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from accounts import services
from accounts.models import ApiKey
from accounts.selectors import api_key_refusal_reason
from core.asgi import request_started_at
from recotem_common.api_keys import digest_identifies, key_digest, lookup_prefix

logger = logging.getLogger(__name__)

API_KEY_HEADER = "X-API-Key"
VERIFIED_KEY_CACHE_SECONDS = 300
INVALID_KEY = "Invalid API key."


def _cache_call(method: str, *args: Any) -> Any:
    """A cache call that answers None instead of failing while the cache is down."""
    try:
        return getattr(cache, method)(*args)
    except Exception as error:  # the cache backend's connection errors vary
        logger.warning("Cache unreachable for API-key verification: %s", error)
        return None


def _verified_cache_key(raw_key: str) -> str:
    return f"api-key-verified:{key_digest(raw_key)}"


class _FailedVerifications:
    """Failed verifications of one client and of one key prefix, in fixed windows."""

    def __init__(self, request: Request, prefix: str | None) -> None:
        self._rate = settings.API_KEY_FAILURE_RATE
        count, unit = self._rate.split("/")
        self._limit = int(count)
        # The rate's unit as DRF reads it: its first letter.
        self._window = {"s": 1, "m": 60, "h": 3600, "d": 86400}[unit[0]]
        client = BaseThrottle().get_ident(request)
        self._buckets = [f"api-key-failures:client:{client}"]
        if prefix is not None:
            self._buckets.append(f"api-key-failures:prefix:{prefix}")

    def check(self) -> None:
        counts = _cache_call("get_many", self._buckets) or {}
        if any(int(count) >= self._limit for count in counts.values()):
            raise exceptions.Throttled(wait=self._window)

    def count(self) -> None:
        for bucket in self._buckets:
            if _cache_call("add", bucket, 0, self._window) is not None:
                _cache_call("incr", bucket)


def _find_key(raw_key: str, request: Request) -> ApiKey:
    cached_id = _cache_call("get", _verified_cache_key(raw_key))
    if cached_id is not None:
        cached = ApiKey.objects.select_related("owner", "project").filter(pk=cached_id).first()
        if cached is not None:
            return cached
    prefix = lookup_prefix(raw_key)
    failures = _FailedVerifications(request, prefix)
    failures.check()
    candidates = (
        []
        if prefix is None
        else list(ApiKey.objects.select_related("owner", "project").filter(key_prefix=prefix))
    )
    # A revoked or expired key (or one of a deactivated owner) is refused without
    # paying PBKDF2 to learn whether the secret matched.
    usable = [candidate for candidate in candidates if api_key_refusal_reason(candidate) is None]
    digest = key_digest(raw_key)
    for candidate in usable:
        if digest_identifies(candidate.lookup_digest, digest):
            return candidate
    for candidate in usable:
        if not candidate.lookup_digest and check_password(raw_key, candidate.hashed_key):
            services.api_key_digest_store(api_key=candidate, lookup_digest=digest)
            _cache_call(
                "set", _verified_cache_key(raw_key), candidate.pk, VERIFIED_KEY_CACHE_SECONDS
            )
            return candidate
    failures.count()
    if candidates and not usable:
        raise exceptions.AuthenticationFailed(api_key_refusal_reason(candidates[0]))
    raise exceptions.AuthenticationFailed(INVALID_KEY)


class ApiKeyAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[Any, ApiKey] | None:
        raw_key = request.headers.get(API_KEY_HEADER)
        if not raw_key:
            return None
        api_key = _find_key(raw_key.strip(), request)
        reason = api_key_refusal_reason(api_key)
        if reason is not None:
            raise exceptions.AuthenticationFailed(reason)
        services.api_key_touch(api_key=api_key)
        return api_key.owner, api_key

    def authenticate_header(self, request: Request) -> str:
        return API_KEY_HEADER


class StartOfRequestJWTCookieAuthentication(JWTCookieAuthentication):
    """The access cookie checked as of when the request began to arrive.

    Django reads the whole body before a view runs, so an upload that takes longer than
    the rest of its access token's lifetime would otherwise be refused once it is all
    there, although its token was valid when the person pressed "upload".
    """

    started_at: float | None = None

    def authenticate(self, request: Request) -> Any:
        self.started_at = request_started_at(request._request)
        return super().authenticate(request)

    def get_validated_token(self, raw_token: bytes) -> Any:
        if self.started_at is None:
            return super().get_validated_token(raw_token)
        from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
        from rest_framework_simplejwt.tokens import AccessToken

        try:
            token = AccessToken(raw_token, verify=False)  # type: ignore[arg-type]
            token.current_time = datetime.fromtimestamp(self.started_at, UTC)
            token.verify()
        except TokenError as error:
            raise InvalidToken({"detail": str(error)}) from error
        return token
