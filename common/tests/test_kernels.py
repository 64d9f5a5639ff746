"""The compiled ranking and masking agree with a plain sort."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import sparse as sps

from recotem_common.artifact import ModelArtifact, kernels, loops
from tests.conftest import MODELS, FitModel


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


# Fits every model of tests/conftest.py on part of MovieLens 100K, serves each through
# the public API, and prints the types each loop was compiled for.
SERVE_EVERY_MODEL = """
import numpy as np
from scipy import sparse as sps
from recotem_common.artifact import kernels, signing_keys
from tests.conftest import ML100K_DIR, MODELS, Interactions, fit_and_load

raw = np.loadtxt(ML100K_DIR / "u.data", dtype=np.int64)[:20000]
users, user_index = np.unique(raw[:, 0], return_inverse=True)
items, item_index = np.unique(raw[:, 1], return_inverse=True)
matrix = sps.csr_matrix((np.ones(len(raw)), (user_index, item_index)))
data = Interactions(matrix, [str(u) for u in users], [str(i) for i in items])
keys = signing_keys("kernel-signatures-test-key-0123456789abcdef0123456789abcdef")
for name in MODELS:
    model = fit_and_load(name, data, keys).artifact
    model.prepare()
    model.recommend_users(data.user_ids[:3], 10)
    model.recommend_users(data.user_ids[:3], 5, allow_items=data.item_ids[:40])
    model.popular_items(5)
    if model.supports_profile:
        model.recommend_profile(data.item_ids[:3], 5)
    if model.supports_similar:
        model.similar_items(data.item_ids[0], 5)
for kernel in (kernels.gather_sparse_rows, kernels.gather_dense_rows, kernels.mask_rows,
               kernels.top_k_rows):
    for signature in kernel.signatures:
        print(f"compiled: {kernel.__name__}{signature}")
"""


@pytest.mark.slow
def test_the_images_precompile_every_loop_serving_needs(tmp_path: Path) -> None:
    served = subprocess.run(
        [sys.executable, "-c", SERVE_EVERY_MODEL],
        cwd=Path(__file__).resolve().parents[1],
        env={"NUMBA_CACHE_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert served.returncode == 0, served.stderr[-3000:]
    # irspack draws progress bars on stdout too.
    needed = set(re.findall(r"^compiled: (.+)$", served.stdout, re.MULTILINE))
    assert needed
    precompiled = {
        f"{kernel.__name__}{signature}"
        for kernel, signatures in kernels._served_signatures().items()
        for signature in signatures
    }
    assert needed - precompiled == set()


@pytest.fixture(scope="module")
def ahead_of_time(tmp_path_factory: pytest.TempPathFactory) -> loops.AheadOfTime:
    """The loops compiled ahead of time, as the inference image builds them."""
    path = kernels.compile_module(tmp_path_factory.mktemp("ahead-of-time"))
    spec = importlib.util.spec_from_file_location(loops.AHEAD_OF_TIME_MODULE, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return loops.AheadOfTime(module)


def _answers(model: ModelArtifact) -> list[object]:
    users = [str(user) for user in model.user_ids[:40]]
    items = [str(item) for item in model.item_ids[:5]]
    return [
        model.recommend_users(users, 20),
        model.recommend_users(users, 20, exclude_seen=False),
        model.recommend_users(users, 5, allow_items=items * 2, exclude_items=items[:1]),
        model.popular_items(10),
        model.recommend_profile(items, 20) if model.supports_profile else None,
        model.similar_items(items[0], 20) if model.supports_similar else None,
    ]


@pytest.mark.slow
def test_loops_compiled_ahead_of_time_serve_every_model_as_numba_does(
    ahead_of_time: loops.AheadOfTime,
    fit_model: FitModel,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in sorted(MODELS):
        model = fit_model(name).artifact
        monkeypatch.setattr(loops, "compiled", kernels)
        by_numba = _answers(model)
        monkeypatch.setattr(loops, "compiled", ahead_of_time)
        assert _answers(model) == by_numba, name


def test_loops_compiled_ahead_of_time_refuse_types_they_were_not_compiled_for(
    ahead_of_time: loops.AheadOfTime,
) -> None:
    scores = np.random.default_rng(2).random((4, 30))
    indices = np.zeros((4, 3), dtype=np.int64)

    assert ahead_of_time.top_k_rows(scores, 3, indices, np.empty((4, 3))).tolist() == [3] * 4
    with pytest.raises(TypeError, match="No compiled scoring loop"):
        ahead_of_time.top_k_rows(scores.astype(np.int64), 3, indices, np.empty((4, 3)))
    with pytest.raises(TypeError, match="C-contiguous"):
        ahead_of_time.top_k_rows(scores.T, 3, indices, np.empty((4, 3)))
