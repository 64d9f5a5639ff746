"""When an API key may be used and what its scopes allow, as both services decide it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from recotem_common.api_keys import (
    ALL_SCOPES,
    KEY_PREFIX,
    api_key_refusal,
    generate_api_key,
    granted_scopes,
    lookup_prefix,
    scope_refusal,
)

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


@pytest.mark.parametrize(
    ("stored", "needed", "allowed"),
    [
        (["read"], "read", True),
        (["read"], "write", False),
        (["read"], "predict", False),
        (["write"], "write", True),
        (["write"], "read", True),
        (["write"], "predict", False),
        (["predict"], "predict", True),
        (["predict"], "read", False),
        (["predict"], "write", False),
        ([], "read", False),
    ],
)
def test_write_implies_read_and_nothing_else_implies_anything(
    stored: list[str], needed: str, allowed: bool
) -> None:
    assert (scope_refusal(stored, needed) is None) is allowed


def test_a_place_may_accept_any_of_several_scopes() -> None:
    assert scope_refusal(["predict"], "predict", "read") is None
    assert scope_refusal(["write"], "predict", "read") is None

    refusal = scope_refusal(["write"], "predict")
    assert refusal is not None
    assert "'predict' scope" in refusal


def test_every_stored_scope_is_known() -> None:
    assert granted_scopes(ALL_SCOPES) == frozenset(ALL_SCOPES)


@pytest.mark.parametrize("length", [48, 64])
def test_keys_of_this_service_and_of_the_reference_have_a_lookup_prefix(length: int) -> None:
    random_part = "abcdefgh" + "x" * (length - 8)

    assert lookup_prefix(KEY_PREFIX + random_part) == "abcdefgh"


@pytest.mark.parametrize("raw_key", ["rctm_" + "x" * 47, "rctm_" + "x" * 63, "key_" + "x" * 48])
def test_other_shapes_have_none(raw_key: str) -> None:
    assert lookup_prefix(raw_key) is None


def test_issued_keys_have_the_short_shape() -> None:
    assert len(generate_api_key()) == len(KEY_PREFIX) + 48
