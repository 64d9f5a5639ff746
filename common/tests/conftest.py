from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# irspack reads this when its threaded code is first used; two threads is this
# machine's budget.
os.environ.setdefault("IRSPACK_NUM_THREADS_DEFAULT", "2")

import numpy as np
import pytest
from scipy import sparse as sps

from recotem_common.artifact import (
    ModelArtifact,
    SigningKey,
    export_recommender,
    read_artifact,
    signing_keys,
    write_artifact,
)

ML100K_DIR = Path(os.environ.get("RECOTEM_ML100K_DIR", "/work/shared/datasets/ml-100k")).resolve()
SECRET_KEY = "test-only-artifact-secret-6f1d2c9a8b7e4f30a5c2d1e0b9f8a7c6"


@dataclass(frozen=True)
class Interactions:
    matrix: sps.csr_matrix
    user_ids: list[str]
    item_ids: list[str]


def _irspack_models() -> dict[str, Callable[[sps.csr_matrix], Any]]:
    import irspack

    # Small, fast hyperparameters: parity does not depend on model quality.
    return {
        "IALSRecommender": lambda X: irspack.IALSRecommender(
            X, n_components=16, train_epochs=5, alpha0=0.05
        ),
        "IALSRecommender[cholesky]": lambda X: irspack.IALSRecommender(
            X, n_components=16, train_epochs=3, solver_type="CHOLESKY", nu=0.5
        ),
        "IALSRecommender[ialspp,original,log]": lambda X: irspack.IALSRecommender(
            X,
            n_components=16,
            train_epochs=3,
            solver_type="IALSPP",
            ialspp_subspace_dimension=4,
            loss_type="ORIGINAL",
            alpha0=0.05,
            confidence_scaling="log",
        ),
        "CosineKNNRecommender": lambda X: irspack.CosineKNNRecommender(
            X, top_k=50, shrinkage=5.0, normalize=True
        ),
        "AsymmetricCosineKNNRecommender": lambda X: irspack.AsymmetricCosineKNNRecommender(
            X, top_k=50, alpha=0.3
        ),
        "TverskyIndexKNNRecommender": lambda X: irspack.TverskyIndexKNNRecommender(X, top_k=50),
        "JaccardKNNRecommender": lambda X: irspack.JaccardKNNRecommender(X, top_k=50),
        "CosineUserKNNRecommender": lambda X: irspack.CosineUserKNNRecommender(
            X, top_k=50, shrinkage=1.0
        ),
        "CosineUserKNNRecommender[tf-idf]": lambda X: irspack.CosineUserKNNRecommender(
            X, top_k=50, feature_weighting="TF_IDF"
        ),
        "AsymmetricCosineUserKNNRecommender": lambda X: irspack.AsymmetricCosineUserKNNRecommender(
            X, top_k=50, alpha=0.3, feature_weighting="BM_25"
        ),
        "RP3betaRecommender": lambda X: irspack.RP3betaRecommender(X, top_k=100),
        "P3alphaRecommender": lambda X: irspack.P3alphaRecommender(X, top_k=100),
        "DenseSLIMRecommender": lambda X: irspack.DenseSLIMRecommender(X, reg=100.0),
        "SLIMRecommender": lambda X: irspack.SLIMRecommender(X, n_iter=5, top_k=50),
        "TruncatedSVDRecommender": lambda X: irspack.TruncatedSVDRecommender(X, n_components=16),
        "NMFRecommender": lambda X: irspack.NMFRecommender(X, n_components=8),
        "EDLAERecommender": lambda X: irspack.EDLAERecommender(X, reg=100.0),
        "TopPopRecommender": irspack.TopPopRecommender,
    }


MODELS = _irspack_models()


@pytest.fixture(scope="session")
def ml100k() -> Interactions:
    raw = np.loadtxt(ML100K_DIR / "u.data", dtype=np.int64)
    users, user_index = np.unique(raw[:, 0], return_inverse=True)
    items, item_index = np.unique(raw[:, 1], return_inverse=True)
    # Implicit feedback, as Recotem trains: every rating is one interaction.
    matrix = sps.csr_matrix(
        (np.ones(len(raw)), (user_index, item_index)), shape=(len(users), len(items))
    )
    return Interactions(matrix, [str(u) for u in users], [str(i) for i in items])


@pytest.fixture(scope="session")
def keys() -> list[SigningKey]:
    return signing_keys(SECRET_KEY)


@dataclass(frozen=True)
class Fitted:
    name: str
    recommender: Any
    artifact: ModelArtifact
    data: bytes
    interactions: Interactions

    def item_indices(self, recommendations: list[tuple[str, float]]) -> np.ndarray:
        found = [self.artifact.item_index(item) for item, _ in recommendations]
        return np.array(found, dtype=np.int64)


def fit_and_load(name: str, interactions: Interactions, keys: list[SigningKey]) -> Fitted:
    recommender = MODELS[name](interactions.matrix).learn()
    exported = export_recommender(
        recommender,
        user_ids=interactions.user_ids,
        item_ids=interactions.item_ids,
        manifest={"data_fingerprint": "sha256:test", "trained_model_id": 7},
    )
    data = write_artifact(exported, keys[0])
    return Fitted(name, recommender, read_artifact(data, keys), data, interactions)


FitModel = Callable[[str], Fitted]


@pytest.fixture(scope="session")
def fit_model(ml100k: Interactions, keys: list[SigningKey]) -> FitModel:
    """Fits each model once per session, however many tests ask for it."""
    cache: dict[str, Fitted] = {}

    def fit(name: str) -> Fitted:
        if name not in cache:
            cache[name] = fit_and_load(name, ml100k, keys)
        return cache[name]

    return fit


@pytest.fixture(scope="session", params=sorted(MODELS))
def fitted(request: pytest.FixtureRequest, fit_model: FitModel) -> Fitted:
    return fit_model(request.param)
