"""When an API key may be used, as both services decide it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from recotem_common.api_keys import api_key_refusal

NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)
USABLE: dict[str, Any] = {
    "revoked_at": None,
    "is_active": True,
    "expires_at": None,
    "owner_is_active": True,
    "now": NOW,
}


def test_a_usable_key_has_no_refusal() -> None:
    assert api_key_refusal(**USABLE) is None
    assert api_key_refusal(**{**USABLE, "expires_at": NOW + timedelta(seconds=1)}) is None


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"revoked_at": NOW - timedelta(days=1)}, "revoked"),
        ({"is_active": False}, "revoked"),
        ({"expires_at": NOW}, "expired"),
        ({"expires_at": NOW - timedelta(days=1)}, "expired"),
        ({"owner_is_active": False}, "owner of this API key has been deactivated"),
        # The most final state is named when several apply.
        ({"is_active": False, "expires_at": NOW, "owner_is_active": False}, "revoked"),
        ({"expires_at": NOW, "owner_is_active": False}, "expired"),
    ],
)
def test_each_refusal_is_named(change: dict[str, Any], reason: str) -> None:
    refusal = api_key_refusal(**{**USABLE, **change})

    assert refusal is not None
    assert reason in refusal
