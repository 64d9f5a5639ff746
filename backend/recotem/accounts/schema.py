"""How the ``X-API-Key`` scheme appears in the OpenAPI schema."""

from __future__ import annotations

from typing import Any

from drf_spectacular.contrib.rest_auth import SimpleJWTCookieScheme
from drf_spectacular.extensions import OpenApiAuthenticationExtension

from accounts.authentication import API_KEY_HEADER


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.ApiKeyAuthentication"
    name = "ApiKeyAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "apiKey", "in": "header", "name": API_KEY_HEADER}


class StartOfRequestJWTCookieScheme(SimpleJWTCookieScheme):
    """The access token in the header or the cookie, as dj-rest-auth's scheme shows it."""

    target_class = "accounts.authentication.StartOfRequestJWTCookieAuthentication"
