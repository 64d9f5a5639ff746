from __future__ import annotations

from recotem.settings.env import env
from recotem_common.limits import FAILED_KEY_VERIFICATIONS

# How many reverse proxies stand in front of the backend. The client address used for
# throttling is taken that many hops from the right of X-Forwarded-For, so a client
# cannot pick its own address by sending the header itself.
NUM_PROXIES: int = env.int("NUM_PROXIES", default=0)

# Failed API-key verifications per client and per key prefix (see accounts.authentication).
API_KEY_FAILURE_RATE: str = env.str("API_KEY_FAILURE_RATE", default=FAILED_KEY_VERIFICATIONS)

# Seconds between the server's {"type": "ping"} on the reference's WebSocket paths
# (/ws/job/<id>/status/ and /logs/), which keeps idle proxies from closing them.
WEBSOCKET_PING_SECONDS: float = env.float("WEBSOCKET_PING_SECONDS", default=60.0)

# A conversion reported without a recommendation_request_id is tied to the user's latest
# impression in its slot no older than this; without one it is kept unattributed.
CONVERSION_ATTRIBUTION_WINDOW_SECONDS: int = env.int(
    "CONVERSION_ATTRIBUTION_WINDOW_SECONDS", default=24 * 3600
)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.ApiKeyAuthentication",
        "accounts.authentication.StartOfRequestJWTCookieAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "accounts.permissions.ApiKeyScopePermission",
    ],
    "DEFAULT_PAGINATION_CLASS": "core.pagination.StandardPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": [
        "core.filters.FilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "core.schema.AutoSchema",
    "EXCEPTION_HANDLER": "core.errors.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "accounts.throttling.AnonThrottle",
        "accounts.throttling.UserThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("THROTTLE_ANON_RATE", default="60/minute"),
        "user": env.str("THROTTLE_USER_RATE", default="1200/minute"),
        "login": env.str("THROTTLE_LOGIN_RATE", default="10/minute"),
    },
    "NUM_PROXIES": NUM_PROXIES,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Recotem API",
    "DESCRIPTION": "Upload interaction logs, tune and train recommenders, deploy them.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # Several models name their job state "status"; one shared name for the one set.
    "ENUM_NAME_OVERRIDES": {"JobStatusEnum": "core.models.JobStatus"},
}
