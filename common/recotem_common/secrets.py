"""The one rule both services apply to ``SECRET_KEY`` at startup.

Outside debug mode a missing, short or placeholder key is refused, so a deployment never
runs (or signs model artifacts) with a guessable secret. In debug mode a fixed key is used
when none is set; both services fall back to the same one, so artifacts the backend signs
in debug mode still verify in the inference service.
"""

from __future__ import annotations

PLACEHOLDER_MARKERS = ("change", "placeholder", "insecure", "example", "secret-key", "xxx")
MIN_SECRET_KEY_LENGTH = 32
DEBUG_SECRET_KEY = "debug-only-key-never-used-outside-debug-mode-4f1c2b9a7e"


class InsecureSecretKeyError(ValueError):
    """SECRET_KEY is unusable outside debug mode."""


def check_secret_key(key: str, *, debug: bool) -> str:
    """Return the key to use, or raise ``InsecureSecretKeyError`` with a fix."""
    if debug:
        return key or DEBUG_SECRET_KEY
    lowered = key.lower()
    if len(key) < MIN_SECRET_KEY_LENGTH or any(m in lowered for m in PLACEHOLDER_MARKERS):
        raise InsecureSecretKeyError(
            "SECRET_KEY is missing, shorter than "
            f"{MIN_SECRET_KEY_LENGTH} characters, or a placeholder. Generate one with "
            "`python -c 'import secrets; print(secrets.token_urlsafe(50))'` "
            "or set DEBUG=true for local development."
        )
    return key
