"""Which caller-supplied correlation ids are kept."""

from __future__ import annotations

import pytest

from recotem_common.correlation import MAX_CORRELATION_ID_LENGTH, new_correlation_id


@pytest.mark.parametrize("supplied", ["abc-123", "x" * MAX_CORRELATION_ID_LENGTH, "trace 7"])
def test_a_short_printable_id_is_kept(supplied: str) -> None:
    assert new_correlation_id(supplied) == supplied


@pytest.mark.parametrize(
    "supplied", [None, "", "x" * (MAX_CORRELATION_ID_LENGTH + 1), "line\nbreak", "nul\x00"]
)
def test_a_missing_or_unusable_id_is_replaced(supplied: str | None) -> None:
    generated = new_correlation_id(supplied)

    assert generated != supplied
    assert len(generated) == 32
    assert int(generated, 16) >= 0


def test_generated_ids_differ() -> None:
    assert new_correlation_id() != new_correlation_id()
