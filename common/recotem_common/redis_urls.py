"""One rule for turning the configured Redis location into per-purpose URLs.

Both services derive the broker, channel-layer, cache and model-event URLs from the
same variables, so the rule lives here once.
"""

from __future__ import annotations

from urllib.parse import quote, urlsplit, urlunsplit

BROKER_DB = 0
CHANNELS_DB = 1
CACHE_DB = 2
MODEL_EVENTS_DB = 3

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379"


def redis_url_for_db(
    explicit_url: str | None, *, base_url: str | None, db: int, password: str | None
) -> str:
    """Return the URL for one Redis database.

    An explicitly configured URL wins; otherwise the base URL (``REDIS_URL``) is used
    with its path replaced by ``db``. ``REDIS_PASSWORD`` is applied when the chosen URL
    carries no credentials of its own.
    """
    url = explicit_url or _with_db(base_url or DEFAULT_REDIS_URL, db)
    return with_password(url, password) if password else url


def _with_db(url: str, db: int) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{db}", parts.query, ""))


def with_password(url: str, password: str) -> str:
    parts = urlsplit(url)
    if "@" in parts.netloc:
        return url
    netloc = f":{quote(password, safe='')}@{parts.netloc}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
