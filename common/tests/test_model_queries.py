"""What a caller of ModelArtifact sees: options, fallbacks and refusals."""

from __future__ import annotations

import irspack
import numpy as np
import pytest

from recotem_common.artifact import (
    ArtifactError,
    ModelArtifact,
    UnsupportedOperation,
    export_recommender,
    kernels,
    model,
)
from recotem_common.artifact.scoring import Scorer

from .conftest import FitModel, Fitted, Interactions


@pytest.fixture(scope="module")
def knn(fit_model: FitModel) -> Fitted:
    return fit_model("CosineKNNRecommender")


@pytest.fixture(scope="module")
def ials(fit_model: FitModel) -> Fitted:
    return fit_model("IALSRecommender")


def ids(recommendations: list[tuple[str, float]] | None) -> list[str]:
    assert recommendations is not None
    return [item for item, _ in recommendations]


def seen_by(interactions: Interactions, user: str) -> set[str]:
    row = interactions.matrix[interactions.user_ids.index(user)]
    return {interactions.item_ids[i] for i in row.indices}


def test_unknown_users_get_none_in_place(knn: Fitted) -> None:
    results = knn.artifact.recommend_users(["1", "no-such-user", "2", ""], 5)

    assert results[1] is None
    assert results[3] is None
    assert len(ids(results[0])) == len(ids(results[2])) == 5


def test_a_batch_larger_than_one_block_is_scored_block_by_block(
    knn: Fitted, monkeypatch: pytest.MonkeyPatch
) -> None:
    users = knn.interactions.user_ids[:7]
    whole = knn.artifact.recommend_users(users, 5)

    monkeypatch.setattr(model, "_SCORE_BLOCK_ELEMENTS", 2 * knn.artifact.n_items)

    assert knn.artifact.recommend_users([*users, "unknown"], 5) == [*whole, None]


def test_seen_items_are_excluded_unless_asked(knn: Fitted) -> None:
    seen = seen_by(knn.interactions, "1")

    (fresh,) = knn.artifact.recommend_users(["1"], 50)
    (everything,) = knn.artifact.recommend_users(["1"], 50, exclude_seen=False)

    assert not set(ids(fresh)) & seen
    assert set(ids(everything)) & seen


def test_exclude_items_are_never_recommended(knn: Fitted) -> None:
    (plain,) = knn.artifact.recommend_users(["1"], 10)
    banned = [*ids(plain)[:3], "not-an-item"]

    (filtered,) = knn.artifact.recommend_users(["1"], 10, exclude_items=banned)

    assert not set(ids(filtered)) & set(banned)
    assert ids(filtered)[:7] == ids(plain)[3:]


def test_allow_items_restricts_the_candidates(knn: Fitted) -> None:
    allowed = ["50", "172", "181", "1", "not-an-item"]

    (recs,) = knn.artifact.recommend_users(["2"], 10, allow_items=allowed)

    assert set(ids(recs)) <= set(allowed) - seen_by(knn.interactions, "2")
    scores = [score for _, score in recs or []]
    assert scores == sorted(scores, reverse=True)


def test_allow_and_exclude_combine(knn: Fitted) -> None:
    (recs,) = knn.artifact.recommend_users(
        ["2"], 10, allow_items=["50", "172", "181"], exclude_items=["172"]
    )

    assert set(ids(recs)) <= {"50", "181"}


def test_an_allow_list_of_unknown_items_gives_nothing(knn: Fitted) -> None:
    assert knn.artifact.recommend_users(["2"], 10, allow_items=["nope"]) == [[]]
    assert knn.artifact.recommend_users(["2"], 10, allow_items=[]) == [[]]


def test_cutoff_larger_than_the_catalogue_returns_every_candidate(
    knn: Fitted,
) -> None:
    (recs,) = knn.artifact.recommend_users(["1"], 10_000)

    assert len(ids(recs)) <= knn.artifact.n_items - len(seen_by(knn.interactions, "1"))
    assert all(np.isfinite(score) for _, score in recs or [])


@pytest.mark.parametrize("cutoff", [0, -3, 2.5, True, "10"])
def test_a_bad_cutoff_is_refused(knn: Fitted, cutoff: object) -> None:
    with pytest.raises(ValueError, match="cutoff must be a positive integer"):
        knn.artifact.recommend_users(["1"], cutoff)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="cutoff"):
        knn.artifact.popular_items(cutoff)  # type: ignore[arg-type]


def test_popular_items_rank_by_interaction_count(knn: Fitted) -> None:
    counts = np.asarray(knn.interactions.matrix.sum(axis=0)).ravel()
    expected = [knn.interactions.item_ids[i] for i in np.argsort(-counts)[:5]]

    popular = knn.artifact.popular_items(5)

    assert ids(popular) == expected
    assert [score for _, score in popular] == sorted(counts, reverse=True)[:5]


def test_popular_items_honour_allow_and_exclude(knn: Fitted) -> None:
    top = ids(knn.artifact.popular_items(3))

    assert ids(knn.artifact.popular_items(3, exclude_items=top[:1]))[:2] == top[1:]
    assert ids(knn.artifact.popular_items(3, allow_items=["1", "2"])) == ["1", "2"]


def test_profile_ignores_unknown_items_and_excludes_the_profile(
    ials: Fitted,
) -> None:
    profile = ["50", "172", "no-such-item"]

    recs = ials.artifact.recommend_profile(profile, 10)

    assert len(recs) == 10
    assert not set(ids(recs)) & set(profile)
    assert recs == ials.artifact.recommend_profile(["172", "50", "50"], 10)


def test_profile_without_known_items_is_empty(ials: Fitted) -> None:
    assert ials.artifact.recommend_profile(["nope", "nada"], 10) == []
    assert ials.artifact.recommend_profile([], 10) == []


def test_similar_items_of_an_unknown_item_is_none(ials: Fitted) -> None:
    assert ials.artifact.similar_items("no-such-item", 5) is None


def test_similar_items_honour_lists(ials: Fitted) -> None:
    plain = ids(ials.artifact.similar_items("50", 5))

    filtered = ids(ials.artifact.similar_items("50", 5, exclude_items=plain[:2]))
    allowed = ids(ials.artifact.similar_items("50", 5, allow_items=["50", *plain[3:]]))

    assert filtered[:3] == plain[2:]
    assert allowed == plain[3:]


@pytest.mark.parametrize(
    ("name", "profile", "similar"),
    [
        ("IALSRecommender", True, True),
        ("TruncatedSVDRecommender", True, True),
        ("NMFRecommender", True, True),
        ("CosineKNNRecommender", True, True),
        ("RP3betaRecommender", True, True),
        ("DenseSLIMRecommender", True, True),
        ("CosineUserKNNRecommender", True, False),
        ("TopPopRecommender", True, False),
    ],
)
def test_capabilities_are_declared(
    fit_model: FitModel, name: str, profile: bool, similar: bool
) -> None:
    artifact = fit_model(name).artifact

    assert (artifact.supports_profile, artifact.supports_similar) == (profile, similar)
    assert artifact.algorithm == name


def test_top_pop_answers_a_profile_with_popular_unseen_items(
    fit_model: FitModel,
) -> None:
    artifact = fit_model("TopPopRecommender").artifact
    top = ids(artifact.popular_items(4))

    assert ids(artifact.recommend_profile(top[:1], 3)) == top[1:]
    with pytest.raises(UnsupportedOperation, match="item-to-item"):
        artifact.similar_items(top[0], 3)


def test_a_scorer_without_profiles_refuses_them(knn: Fitted) -> None:
    artifact = ModelArtifact(knn.artifact.manifest, knn.artifact.arrays)
    artifact._scorer = Scorer()

    with pytest.raises(UnsupportedOperation, match="from a list of items"):
        artifact.recommend_profile(["50"], 3)


def test_manifest_records_model_data_and_versions(ials: Fitted) -> None:
    manifest = ials.artifact.manifest

    assert manifest["algorithm"] == "IALSRecommender"
    assert manifest["parameters"]["n_components"] == 16
    assert manifest["parameters"]["solver_type"] == "CG"
    assert manifest["data_fingerprint"] == "sha256:test"
    assert manifest["trained_model_id"] == 7
    assert manifest["format_version"] == 1
    assert manifest["n_users"] == 943
    assert manifest["n_items"] == 1682
    assert manifest["n_interactions"] == 100_000
    assert manifest["library_versions"]["irspack"] == irspack.__version__
    assert manifest["library_versions"]["numpy"] == np.__version__
    assert manifest["created_at"].endswith("+00:00")


def test_nbytes_counts_the_arrays_the_implicit_ones_and_the_user_index(
    ials: Fitted,
) -> None:
    artifact = ModelArtifact(ials.artifact.manifest, ials.artifact.arrays)
    stored = sum(array.nbytes for array in artifact.arrays.values())

    # Implicit feedback is stored without values; they exist only in memory.
    assert "seen_data" not in artifact.arrays
    assert artifact.nbytes == stored + 8 * artifact.manifest["n_interactions"]

    artifact.index_users()
    with_index = artifact.nbytes
    assert artifact.user_index("1") == 0

    assert with_index > stored + 8 * artifact.manifest["n_interactions"] + 50 * artifact.n_users
    assert artifact.nbytes == with_index


def test_nbytes_counts_what_a_scorer_derives(knn: Fitted) -> None:
    arrays = dict(knn.artifact.arrays)
    n_interactions = knn.artifact.manifest["n_interactions"]
    # Whole-number ratings are multiplied in as float64, the similarity's dtype.
    arrays["seen_data"] = np.full(n_interactions, 3, dtype=np.int32)
    artifact = ModelArtifact(knn.artifact.manifest, arrays)
    stored = sum(array.nbytes for array in artifact.arrays.values())

    assert artifact.nbytes == stored + 8 * n_interactions


@pytest.fixture(scope="module")
def top_pop(ml100k: Interactions) -> irspack.TopPopRecommender:
    return irspack.TopPopRecommender(ml100k.matrix).learn()


class TestExportRefusals:
    def test_id_count_must_match_the_matrix(
        self, top_pop: irspack.TopPopRecommender, ml100k: Interactions
    ) -> None:
        with pytest.raises(ValueError, match="942 user ids were given for a model of 943"):
            export_recommender(
                top_pop,
                user_ids=ml100k.user_ids[:-1],
                item_ids=ml100k.item_ids,
                manifest={},
            )

    def test_duplicate_ids_are_refused(
        self, top_pop: irspack.TopPopRecommender, ml100k: Interactions
    ) -> None:
        item_ids = [*ml100k.item_ids[:-1], ml100k.item_ids[0]]

        with pytest.raises(ValueError, match="Duplicate item id '1'"):
            export_recommender(top_pop, user_ids=ml100k.user_ids, item_ids=item_ids, manifest={})

    def test_nul_in_an_id_is_refused(
        self, top_pop: irspack.TopPopRecommender, ml100k: Interactions
    ) -> None:
        user_ids = ["bad\x00", *ml100k.user_ids[1:]]

        with pytest.raises(ValueError, match="NUL"):
            export_recommender(top_pop, user_ids=user_ids, item_ids=ml100k.item_ids, manifest={})

    def test_a_manifest_contradicting_the_model_is_refused(
        self, top_pop: irspack.TopPopRecommender, ml100k: Interactions
    ) -> None:
        with pytest.raises(ValueError, match="manifest\\['algorithm'\\]"):
            export_recommender(
                top_pop,
                user_ids=ml100k.user_ids,
                item_ids=ml100k.item_ids,
                manifest={"algorithm": "IALSRecommender"},
            )


def test_ids_keep_unicode_and_lookups_are_exact(knn: Fitted) -> None:
    artifact = knn.artifact

    assert artifact.user_index("1") == 0
    assert artifact.user_index("1\x00") is None
    assert artifact.user_index(" 1") is None
    assert artifact.user_index("") is None
    assert artifact.user_index("99999") is None
    assert artifact.user_index("9" * 300) is None
    assert artifact.user_index(1) is None  # type: ignore[arg-type]
    assert artifact.item_index("1682") == 1681
    assert artifact.recommend_users(["1\x00"], 5) == [None]


def test_a_manifest_with_unknown_scoring_is_refused(knn: Fitted) -> None:
    manifest = {**knn.artifact.manifest, "scoring": {"kind": "mystery"}}

    with pytest.raises(ArtifactError, match="mystery"):
        ModelArtifact(manifest, knn.artifact.arrays)

    with pytest.raises(ArtifactError, match="lacks 'item_ids'"):
        ModelArtifact(
            knn.artifact.manifest,
            {k: v for k, v in knn.artifact.arrays.items() if k != "item_ids"},
        )


COMPILED_KERNELS = (
    kernels.gather_sparse_rows,
    kernels.gather_dense_rows,
    kernels.mask_rows,
    kernels.top_k_rows,
)


def test_prepare_leaves_nothing_to_compile_or_build_for_requests(fit_model: FitModel) -> None:
    fitted = fit_model("IALSRecommender")
    artifact = ModelArtifact(fitted.artifact.manifest, fitted.artifact.arrays)

    artifact.prepare()
    compiled = {kernel: len(kernel.signatures) for kernel in COMPILED_KERNELS}
    prepared_bytes = artifact.nbytes
    artifact.recommend_users(fitted.interactions.user_ids[:3], 5)
    artifact.recommend_users(["not a user"], 5)
    artifact.popular_items(5, exclude_items=[fitted.interactions.item_ids[0]])

    assert {kernel: len(kernel.signatures) for kernel in COMPILED_KERNELS} == compiled
    assert artifact.nbytes == prepared_bytes
    assert artifact.user_index(fitted.interactions.user_ids[0]) == 0
