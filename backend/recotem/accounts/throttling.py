from __future__ import annotations

from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle

LOGIN_SCOPE = "login"


class LoginRateThrottle(ScopedRateThrottle):
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
