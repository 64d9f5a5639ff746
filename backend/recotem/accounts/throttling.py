"""Throttles: password guesses per client address and per account, and the API's
general rates, all failing open when the cache that counts them is unreachable."""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest
from rest_framework.exceptions import APIException
from rest_framework.settings import api_settings
from rest_framework.throttling import (
    AnonRateThrottle,
    BaseThrottle,
    ScopedRateThrottle,
    UserRateThrottle,
)

logger = logging.getLogger(__name__)

LOGIN_SCOPE = "login"


class FailOpen(BaseThrottle):
    """A throttle that lets requests through while its cache (Redis) is unreachable:
    an outage of the counters must not take the whole API down with it."""

    def allow_request(self, request: Any, view: Any) -> bool:
        try:
            return bool(super().allow_request(request, view))
        except (SuspiciousOperation, APIException):
            # The request itself is refused (reading the account named in its body).
            raise
        except Exception as error:  # the cache backend's connection errors vary
            logger.warning("Throttle %s skipped, cache unreachable: %s", type(self).__name__, error)
            return True


class AnonThrottle(FailOpen, AnonRateThrottle):
    pass


class UserThrottle(FailOpen, UserRateThrottle):
    pass


class LoginRateThrottle(FailOpen, ScopedRateThrottle):
    """Password guesses per client address (per user once signed in).

    The address comes from DRF's ``get_ident``, which honours ``NUM_PROXIES``: it is
    read that many hops from the right of X-Forwarded-For, so a client cannot reset
    its budget by sending its own header.
    """

    def get_rate(self) -> str | None:
        # DRF binds the rates to the class when it is imported; reading them per
        # request makes a changed THROTTLE_LOGIN_RATE setting take effect.
        rate = api_settings.DEFAULT_THROTTLE_RATES.get(self.scope or "")
        return None if rate is None else str(rate)


class LoginAccountRateThrottle(LoginRateThrottle):
    """Password guesses per account named in the attempt, from whatever addresses:
    guesses spread over many addresses still meet the same limit."""

    def get_cache_key(self, request: Any, view: Any) -> str | None:
        data = getattr(request, "data", None)
        if data is None:
            data = request.POST
        username = data.get("username") if hasattr(data, "get") else None
        if not isinstance(username, str) or not username:
            return None
        account = hashlib.sha256(username.casefold().encode()).hexdigest()
        return self.cache_format % {"scope": f"{self.scope}-account", "ident": account}


LOGIN_THROTTLES = (LoginRateThrottle, LoginAccountRateThrottle)


class _LoginScope:
    throttle_scope = LOGIN_SCOPE


def login_wait(request: HttpRequest) -> float | None:
    """Seconds a sign-in attempt outside the API (the admin's) must wait, or None when
    it may proceed; counted together with the API's sign-ins."""
    waits = []
    for throttle_class in LOGIN_THROTTLES:
        throttle = throttle_class()
        if not throttle.allow_request(request, _LoginScope()):
            waits.append(throttle.wait() or 1.0)
    return max(waits) if waits else None
