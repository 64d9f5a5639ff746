from __future__ import annotations

from accounts.models import ApiKey


def api_key_refusal_reason(api_key: ApiKey) -> str | None:
    """Why a key that matched may not be used, or None when it may."""
    if api_key.revoked_at is not None or not api_key.is_active:
        return "This API key has been revoked."
    if api_key.is_expired:
        return "This API key has expired."
    if not api_key.owner.is_active:
        return "The owner of this API key has been deactivated."
    return None
