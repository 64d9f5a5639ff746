"""The compiled ranking and masking agree with a plain sort."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse as sps

from recotem_common.artifact import kernels


def reference_top_k(row: np.ndarray, k: int) -> list[tuple[int, float]]:
    """Best first, ties by lower column, -inf and NaN never chosen."""
    eligible = [(column, float(score)) for column, score in enumerate(row) if score > -np.inf]
    return sorted(eligible, key=lambda pair: (-pair[1], pair[0]))[:k]


def ranked(scores: np.ndarray, k: int) -> list[list[tuple[int, float]]]:
    indices = np.zeros((len(scores), k), dtype=np.int64)
    values = np.empty((len(scores), k), dtype=scores.dtype)
    counts = kernels.top_k_rows(scores, k, indices, values)
    return [
        list(zip(indices[row, :count].tolist(), values[row, :count].tolist(), strict=True))
        for row, count in enumerate(counts)
    ]


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64])
@pytest.mark.parametrize("k", [1, 3, 10, 60, 500])
def test_top_k_equals_a_full_sort_with_ties_and_exclusions(dtype: type, k: int) -> None:
    rng = np.random.default_rng(k)
    # Few distinct values, so most rows have ties at the cut.
    scores = rng.integers(-3, 4, size=(30, 200)).astype(dtype)
    if dtype != np.int64:
        scores[rng.random(scores.shape) < 0.2] = -np.inf
        scores[rng.random(scores.shape) < 0.05] = np.nan
        scores[3, 7] = np.inf

    assert ranked(scores, k) == [reference_top_k(row, k) for row in scores]


def test_a_row_with_nothing_eligible_has_no_items() -> None:
    scores = np.full((2, 5), -np.inf)
    scores[1, 2] = np.nan

    assert ranked(scores, 3) == [[], []]


def test_rows_of_a_view_and_a_transposed_array_rank_like_copies() -> None:
    scores = np.random.default_rng(1).random((20, 30))

    assert ranked(scores.T, 4) == ranked(np.ascontiguousarray(scores.T), 4)
    assert ranked(scores[::2, 5:], 4) == ranked(scores[::2, 5:].copy(), 4)


def test_mask_rows_sets_each_rows_entries_to_minus_infinity() -> None:
    seen = sps.csr_array(np.array([[1, 0, 1, 0], [0, 0, 0, 0], [0, 1, 0, 1]], dtype=float))
    rows = np.array([2, 0, 1])
    scores = np.ones((3, 4))

    kernels.mask_rows(scores, seen.indptr, seen.indices, rows)

    expected = np.ones((3, 4))
    expected[0, [1, 3]] = -np.inf
    expected[1, [0, 2]] = -np.inf
    np.testing.assert_array_equal(scores, expected)
