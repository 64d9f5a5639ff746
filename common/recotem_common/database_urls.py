"""The one rule both services apply to find their PostgreSQL database.

``DATABASE_URL`` names it in one variable. A secret store (Docker or Kubernetes secrets)
holds a password, not a URL, so the database can also be given in parts:
``POSTGRES_HOST`` with ``POSTGRES_PASSWORD`` (the images' entrypoint reads
``POSTGRES_PASSWORD_FILE`` into it), ``POSTGRES_PORT``, ``POSTGRES_USER`` and
``POSTGRES_DB``. Neither means the embedded SQLite database.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import quote

DEFAULT_POSTGRES_PORT = "5432"
DEFAULT_POSTGRES_NAME = "recotem"


class DatabaseSettingsError(ValueError):
    """The database variables contradict each other or miss the password."""


def database_url(environ: Mapping[str, str]) -> str:
    """``DATABASE_URL``, or the URL the ``POSTGRES_*`` parts describe; empty for SQLite."""
    explicit = environ.get("DATABASE_URL", "")
    host = environ.get("POSTGRES_HOST", "")
    if explicit and host:
        raise DatabaseSettingsError(
            "Both DATABASE_URL and POSTGRES_HOST are set; set only one of them."
        )
    if not host:
        return explicit
    password = environ.get("POSTGRES_PASSWORD", "")
    if not password:
        raise DatabaseSettingsError(
            "POSTGRES_HOST is set without POSTGRES_PASSWORD; set POSTGRES_PASSWORD "
            "(or POSTGRES_PASSWORD_FILE, a file holding it), or DATABASE_URL instead."
        )
    user = environ.get("POSTGRES_USER") or DEFAULT_POSTGRES_NAME
    name = environ.get("POSTGRES_DB") or DEFAULT_POSTGRES_NAME
    port = environ.get("POSTGRES_PORT") or DEFAULT_POSTGRES_PORT
    # Quoted: generated passwords may hold any of the characters a URL reserves.
    return (
        f"postgres://{quote(user, safe='')}:{quote(password, safe='')}"
        f"@{host}:{port}/{quote(name, safe='')}"
    )
