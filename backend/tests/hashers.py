from __future__ import annotations

from django.contrib.auth.hashers import PBKDF2PasswordHasher


class FastPBKDF2PasswordHasher(PBKDF2PasswordHasher):
    """The production hash format (``pbkdf2_sha256``) with few iterations, so tests
    that create users and keys stay fast."""

    iterations = 1000
