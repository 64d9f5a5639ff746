"""Recotem API keys, shared by the issuer (backend) and the verifier (inference): their
shape, when a key may be used, and what its scopes allow.

A key is ``rctm_`` followed by 48 URL-safe random characters. The first
``LOOKUP_PREFIX_LENGTH`` characters of the random part are stored in clear as an index,
and the whole key is stored as a Django ``pbkdf2_sha256`` hash and as its SHA-256
(``key_digest``, the ``lookup_digest`` column). The digest identifies a presented key in
microseconds where PBKDF2 takes a large fraction of a second, so a worker's first request
with a key is as fast as the next ones: the 288 random bits make a fast digest as hard to
invert as the slow hash, whose stretching only protects guessable secrets. Keys issued
before the digest was stored (and by the reference implementation, whose random part has
64 characters, ``token_urlsafe(48)``) have none; PBKDF2 verifies them, and the backend
stores their digest at their first verification.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from datetime import datetime

KEY_PREFIX = "rctm_"
RANDOM_PART_LENGTH = 48
REFERENCE_RANDOM_PART_LENGTH = 64
ACCEPTED_RANDOM_PART_LENGTHS = frozenset({RANDOM_PART_LENGTH, REFERENCE_RANDOM_PART_LENGTH})
LOOKUP_PREFIX_LENGTH = 8

SCOPE_READ = "read"
SCOPE_WRITE = "write"
SCOPE_PREDICT = "predict"
ALL_SCOPES = (SCOPE_READ, SCOPE_WRITE, SCOPE_PREDICT)
# A key that may write may also read what it writes. Nothing else implies anything: a
# predict key serves recommendations but cannot read a project's data.
IMPLIED_SCOPES: dict[str, frozenset[str]] = {SCOPE_WRITE: frozenset({SCOPE_READ})}


def generate_api_key() -> str:
    random_part = secrets.token_urlsafe(RANDOM_PART_LENGTH)[:RANDOM_PART_LENGTH]
    return f"{KEY_PREFIX}{random_part}"


def lookup_prefix(raw_key: str) -> str | None:
    """The indexed part of a presented key, or None when it is not shaped like a key."""
    if not raw_key.startswith(KEY_PREFIX):
        return None
    random_part = raw_key[len(KEY_PREFIX) :]
    if len(random_part) not in ACCEPTED_RANDOM_PART_LENGTHS:
        return None
    return random_part[:LOOKUP_PREFIX_LENGTH]


def key_digest(raw_key: str) -> str:
    """A fast fingerprint of a presented key: the stored ``lookup_digest``, and the
    name verification results are cached under."""
    return hashlib.sha256(raw_key.encode()).hexdigest()


def digest_identifies(lookup_digest: str, presented_digest: str) -> bool:
    """Whether a key's stored digest (empty for keys issued without one) is that of the
    presented key, compared in constant time."""
    return bool(lookup_digest) and hmac.compare_digest(lookup_digest, presented_digest)


def api_key_refusal(
    *,
    revoked_at: datetime | None,
    is_active: bool,
    expires_at: datetime | None,
    owner_is_active: bool,
    now: datetime,
) -> str | None:
    """Why a key whose secret matched may not be used at ``now``, or None when it may."""
    if revoked_at is not None or not is_active:
        return "This API key has been revoked."
    if expires_at is not None and expires_at <= now:
        return "This API key has expired."
    if not owner_is_active:
        return "The owner of this API key has been deactivated."
    return None


def granted_scopes(scopes: Iterable[str]) -> frozenset[str]:
    """What a key with these stored scopes may do: the scopes and those they imply."""
    stored = frozenset(scopes)
    return stored.union(*(IMPLIED_SCOPES.get(scope, frozenset()) for scope in stored))


def scope_refusal(scopes: Iterable[str], *accepted: str) -> str | None:
    """Why a key with ``scopes`` may not act where any one of ``accepted`` suffices,
    or None when it may."""
    if granted_scopes(scopes).intersection(accepted):
        return None
    names = " or ".join(repr(scope) for scope in accepted)
    return (
        f"This API key lacks the {names} scope needed here; "
        "create a key with that scope for this project."
    )
