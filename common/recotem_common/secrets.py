"""The one rule both services apply to ``SECRET_KEY`` at startup.

Outside debug mode a missing, short or placeholder key is refused, so a deployment never
runs (or signs model artifacts) with a guessable secret. In debug mode without a key,
each installation generates its own once and keeps it in its data directory, which both
services share: artifacts the backend signs still verify in the inference service, and
no key known to anyone else ever signs tokens or models.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from pathlib import Path

PLACEHOLDER_MARKERS = ("change", "placeholder", "insecure", "example", "secret-key", "xxx")
MIN_SECRET_KEY_LENGTH = 32
INSTALLATION_KEY_FILE = ".secret_key"


class InsecureSecretKeyError(ValueError):
    """SECRET_KEY is unusable outside debug mode, or no debug key could be kept."""


def installation_secret_key(data_dir: Path) -> str:
    """The data directory's own key, generated on first use (file mode 0600).

    Written to a private temporary file and hard-linked into place, so processes starting
    together agree on one key and none reads a half-written file.
    """
    path = data_dir / INSTALLATION_KEY_FILE
    if not path.exists():
        try:
            data_dir.mkdir(parents=True, exist_ok=True)
            # mkstemp: a name no other process or thread uses, created with mode 0600.
            descriptor, name = tempfile.mkstemp(prefix=f"{INSTALLATION_KEY_FILE}.", dir=data_dir)
            temporary = Path(name)
            with os.fdopen(descriptor, "w") as file:
                file.write(secrets.token_urlsafe(50))
            with contextlib.suppress(FileExistsError):
                os.link(temporary, path)
            temporary.unlink()
        except OSError as error:
            raise InsecureSecretKeyError(
                f"SECRET_KEY is not set and no key could be kept in {path} ({error}). "
                "Set SECRET_KEY, or make RECOTEM_DATA_DIR writable."
            ) from error
    key = path.read_text().strip()
    if len(key) < MIN_SECRET_KEY_LENGTH:
        raise InsecureSecretKeyError(
            f"{path} holds no usable key: delete it to generate a new one, or set SECRET_KEY."
        )
    return key


def check_secret_key(key: str, *, debug: bool, data_dir: Path) -> str:
    """Return the key to use, or raise ``InsecureSecretKeyError`` with a fix."""
    if debug:
        return key or installation_secret_key(data_dir)
    lowered = key.lower()
    if len(key) < MIN_SECRET_KEY_LENGTH or any(m in lowered for m in PLACEHOLDER_MARKERS):
        raise InsecureSecretKeyError(
            "SECRET_KEY is missing, shorter than "
            f"{MIN_SECRET_KEY_LENGTH} characters, or a placeholder. Generate one with "
            "`python -c 'import secrets; print(secrets.token_urlsafe(50))'` "
            "or set DEBUG=true for local development."
        )
    return key
