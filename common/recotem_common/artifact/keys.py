"""Signing keys for model artifacts.

Artifacts are never signed with a configured secret directly: each secret is first
turned into a dedicated HMAC key, so the same ``SECRET_KEY`` can sign sessions and
models without one use weakening the other. A key id is a prefix of the SHA-256 of
that derived key: stable across restarts and replicas, and it reveals nothing usable.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass, field

DERIVATION_LABEL = b"recotem-model-signing"
KEY_ID_LENGTH = 16


@dataclass(frozen=True)
class SigningKey:
    key_id: str
    secret: bytes = field(repr=False)


def derive_signing_key(secret: str) -> SigningKey:
    derived = hmac.new(secret.encode(), DERIVATION_LABEL, hashlib.sha256).digest()
    key_id = hashlib.sha256(derived).hexdigest()[:KEY_ID_LENGTH]
    return SigningKey(key_id=key_id, secret=derived)


def signing_keys(secret_key: str, model_signing_keys: Sequence[str] = ()) -> list[SigningKey]:
    """The keys to sign with (the first) and to verify with (all of them).

    With ``MODEL_SIGNING_KEYS`` the first entry signs and every entry verifies; the key
    derived from ``SECRET_KEY`` is kept last as a verify-only key, so artifacts written
    before the list was introduced still load and can be re-signed. Without the list,
    the key derived from ``SECRET_KEY`` does both. A plain string is read as the
    comma-separated environment value, never as a sequence of one-character keys.
    """
    entries = (
        model_signing_keys.split(",") if isinstance(model_signing_keys, str) else model_signing_keys
    )
    secrets = [entry.strip() for entry in entries if entry.strip()]
    if secret_key:
        secrets.append(secret_key)
    if not secrets:
        raise ValueError("No model signing key: set SECRET_KEY or MODEL_SIGNING_KEYS.")
    keys: list[SigningKey] = []
    for secret in secrets:
        key = derive_signing_key(secret)
        if all(existing.key_id != key.key_id for existing in keys):
            keys.append(key)
    return keys
