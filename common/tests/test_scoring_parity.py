"""An artifact ranks items as the irspack recommender it was exported from does."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse as sps

from recotem_common.artifact import ModelArtifact, UnsupportedOperation, scoring

from .conftest import MODELS, FitModel, Fitted

CUTOFF = 10
USER_KNN = ("CosineUserKNNRecommender", "AsymmetricCosineUserKNNRecommender")


def same_top_k(reference: np.ndarray, chosen: np.ndarray, k: int, rtol: float = 1e-9) -> bool:
    """``chosen`` is a top-k of ``reference``, where items tied at the cut are equal.

    Comparing sets would punish an arbitrary pick among items with the same score.
    """
    finite = reference[np.isfinite(reference)]
    k = min(k, len(finite))
    if len(chosen) != k or len(set(chosen.tolist())) != k:
        return False
    cut = np.partition(finite, len(finite) - k)[len(finite) - k]
    return bool(np.all(reference[chosen] >= cut - rtol * max(abs(cut), 1.0)))


def profile_matrix(items: np.ndarray, n_items: int) -> sps.csr_matrix:
    return sps.csr_matrix(
        (np.ones(len(items)), (np.zeros(len(items), dtype=np.int64), items)),
        shape=(1, n_items),
    )


def test_known_users_get_irspack_top_10(fitted: Fitted) -> None:
    interactions = fitted.interactions
    n_users = interactions.matrix.shape[0]
    reference = fitted.recommender.get_score_remove_seen(np.arange(n_users))

    recommended = fitted.artifact.recommend_users(interactions.user_ids, CUTOFF)

    agreeing = sum(
        same_top_k(reference[u], fitted.item_indices(recs), CUTOFF)
        for u, recs in enumerate(recommended)
        if recs is not None
    )
    assert agreeing >= 0.99 * n_users


def test_known_user_scores_are_irspack_scores(fitted: Fitted) -> None:
    user = 10
    reference = fitted.recommender.get_score_remove_seen(np.array([user]))[0]
    (recs,) = fitted.artifact.recommend_users([fitted.interactions.user_ids[user]], 5)

    assert recs is not None
    np.testing.assert_allclose(
        [score for _, score in recs],
        reference[fitted.item_indices(recs)],
        rtol=1e-5,
    )


def test_cold_user_profile_matches_irspack(fitted: Fitted) -> None:
    if fitted.name.startswith(USER_KNN):
        pytest.skip("irspack has no cold-user scoring for user KNN")
    matrix = fitted.interactions.matrix
    item_ids = np.array(fitted.interactions.item_ids)
    # iALS solves the cold user's system in float32 with threaded sums whose order
    # varies between runs, so irspack disagrees with itself at about 1e-3.
    rtol = 5e-3 if fitted.name.startswith("IALS") else 1e-9
    users = np.random.default_rng(0).choice(matrix.shape[0], 50, replace=False)

    agreeing = 0
    for user in users:
        items = matrix[user].indices
        reference = fitted.recommender.get_score_cold_user_remove_seen(
            profile_matrix(items, matrix.shape[1])
        )[0]
        recs = fitted.artifact.recommend_profile(item_ids[items].tolist(), CUTOFF)
        agreeing += same_top_k(reference, fitted.item_indices(recs), CUTOFF, rtol)

    assert agreeing >= 0.98 * len(users)


@pytest.mark.parametrize("name", [name for name in MODELS if name.startswith(USER_KNN)])
def test_user_knn_profile_of_a_known_users_items_is_that_users_list(
    fit_model: FitModel, name: str
) -> None:
    # The profile's nearest neighbour is the user itself, which adds nothing outside
    # its own (excluded) items; the other neighbours are the trained ones.
    fitted = fit_model(name)
    for user in (0, 100, 500, 942):
        assert_profile_of_user_matches_user(fitted, user)


def assert_profile_of_user_matches_user(fitted: Fitted, user: int) -> None:
    interactions = fitted.interactions
    items = interactions.matrix[user].indices
    reference = fitted.recommender.get_score_remove_seen(np.array([user]))[0]

    recs = fitted.artifact.recommend_profile([interactions.item_ids[i] for i in items], CUTOFF)

    assert same_top_k(reference, fitted.item_indices(recs), CUTOFF, rtol=1e-6)


def test_batch_scores_equal_single_user_scores(fitted: Fitted) -> None:
    user_ids = fitted.interactions.user_ids[:25]

    batch = fitted.artifact.recommend_users(user_ids, CUTOFF)
    singles = [fitted.artifact.recommend_users([u], CUTOFF)[0] for u in user_ids]

    for together, alone in zip(batch, singles, strict=True):
        assert together is not None
        assert alone is not None
        assert [item for item, _ in together] == [item for item, _ in alone]
        np.testing.assert_allclose(
            [score for _, score in together], [score for _, score in alone], rtol=1e-6
        )


def test_a_single_user_scores_exactly_as_in_a_batch(fitted: Fitted) -> None:
    if fitted.artifact.manifest["scoring"]["kind"] == "factor":
        pytest.skip("a BLAS product's rounding may depend on the batch size")
    user_ids = fitted.interactions.user_ids[::40]
    batch = fitted.artifact.recommend_users(user_ids, CUTOFF)

    singles = [fitted.artifact.recommend_users([u], CUTOFF)[0] for u in user_ids]
    small_batches = [
        recs
        for start in range(0, len(user_ids), 5)
        for recs in fitted.artifact.recommend_users(user_ids[start : start + 5], CUTOFF)
    ]

    assert singles == batch
    assert small_batches == batch


@pytest.mark.parametrize("dense", [False, True], ids=["sparse", "dense"])
@pytest.mark.parametrize(
    ("left_dtype", "right_dtype"),
    [
        (np.float64, np.float64),
        (np.float64, np.float32),
        (np.float32, np.float32),
        (np.int32, np.float64),
    ],
)
@pytest.mark.parametrize("unit_weights", [False, True])
def test_gathered_rows_equal_scipys_product_bit_for_bit(
    dense: bool, left_dtype: type, right_dtype: type, unit_weights: bool
) -> None:
    # The compiled gather adds the same products in the same order as scipy.
    rng = np.random.default_rng(7)
    left = sps.csr_array(sps.random(40, 300, density=0.2, format="csr", random_state=rng))
    weights = np.ones(left.nnz) if unit_weights else rng.integers(1, 6, left.nnz) / 3
    left.data = weights.astype(left_dtype)
    right_dense = rng.random((300, 90)) * (rng.random((300, 90)) < 0.3)
    right: scoring.Matrix = right_dense.astype(right_dtype)
    if not dense:
        right = sps.csr_array(right)
    rows = np.array([5, 0, 5, 39, 17])

    gathered = scoring._RowProduct(left, right, unit_weights=unit_weights).rows(rows)

    product = left[rows] @ right
    expected = product.toarray() if sps.issparse(product) else product
    assert gathered.dtype == expected.dtype
    assert np.array_equal(gathered, expected)


def test_a_single_user_with_weighted_interactions_scores_exactly_as_in_a_batch(
    fit_model: FitModel,
) -> None:
    # Stored values (explicit feedback) are multiplied in; all ones are skipped.
    fitted = fit_model("CosineKNNRecommender")
    arrays = dict(fitted.artifact.arrays)
    n_interactions = len(arrays["seen_indices"])
    arrays["seen_data"] = np.random.default_rng(0).integers(1, 6, n_interactions) / 2.0
    weighted = ModelArtifact(fitted.artifact.manifest, arrays)
    user_ids = fitted.interactions.user_ids[::40]

    batch = weighted.recommend_users(user_ids, CUTOFF)
    singles = [weighted.recommend_users([u], CUTOFF)[0] for u in user_ids]
    small_batch = weighted.recommend_users(user_ids[:5], CUTOFF)

    assert singles == batch
    assert small_batch == batch[:5]
    assert singles != fitted.artifact.recommend_users(user_ids, CUTOFF)


def test_similar_items_are_sensible(fitted: Fitted) -> None:
    artifact = fitted.artifact
    if not artifact.supports_similar:
        with pytest.raises(UnsupportedOperation, match="similarity"):
            artifact.similar_items("50", CUTOFF)
        return

    star_wars = artifact.similar_items("50", 20)

    assert star_wars is not None
    ids = [item for item, _ in star_wars]
    scores = [score for _, score in star_wars]
    assert "50" not in ids
    # Sparse similarity rows (SLIM, P3alpha, RP3beta) may hold fewer neighbours.
    assert 0 < len(ids) == len(set(ids)) <= 20
    assert scores == sorted(scores, reverse=True)
    # The Empire Strikes Back / Return of the Jedi.
    assert {"172", "181"} & set(ids)


def test_similar_items_follow_the_model(fitted: Fitted) -> None:
    artifact = fitted.artifact
    if not artifact.supports_similar:
        pytest.skip("no item similarity")
    item = artifact.item_index("50")
    assert item is not None
    recommender = fitted.recommender
    if hasattr(recommender, "W") and not hasattr(recommender, "H"):
        weights = recommender.W
        row = weights[[item]].toarray()[0] if sps.issparse(weights) else weights[item]
        if sps.issparse(weights):
            row = np.where(row != 0, row, -np.inf)
    else:
        factors = np.asarray(
            recommender.H.T if hasattr(recommender, "H") else recommender.get_item_embedding()
        )
        norms = np.linalg.norm(factors, axis=1)
        row = factors @ factors[item] / (norms * norms[item])
    row = np.array(row, dtype=np.float64)
    row[item] = -np.inf

    recs = artifact.similar_items("50", CUTOFF)

    assert recs is not None
    assert same_top_k(row, fitted.item_indices(recs), CUTOFF, rtol=1e-6)
