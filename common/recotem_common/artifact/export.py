"""Turning a fitted irspack recommender into a :class:`ModelArtifact`.

Only training needs this module, so irspack (and scikit-learn for SVD/NMF) is imported
here, lazily; reading and scoring an artifact needs numpy and scipy alone.
"""

from __future__ import annotations

import datetime as dt
import enum
import platform
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy
from scipy import sparse as sps

from recotem_common.artifact.container import FORMAT_VERSION
from recotem_common.artifact.model import ModelArtifact

if TYPE_CHECKING:
    from irspack import BaseRecommender

ExportedModel = tuple[dict[str, Any], dict[str, np.ndarray], dict[str, str]]

# Keys the exporter computes; a caller may repeat them but not contradict them.
_COMPUTED_KEYS = (
    "format_version",
    "algorithm",
    "scoring",
    "n_users",
    "n_items",
    "n_interactions",
)
_INT32_MAX = np.iinfo(np.int32).max


def export_recommender(
    recommender: BaseRecommender,
    *,
    user_ids: Sequence[str],
    item_ids: Sequence[str],
    manifest: Mapping[str, Any],
) -> ModelArtifact:
    """Read a fitted recommender's arrays into an artifact.

    ``user_ids[i]``/``item_ids[j]`` name row ``i``/column ``j`` of the matrix the
    recommender was fitted on. ``manifest`` supplies what the model cannot know
    (``data_fingerprint``, ``metrics``, ``parameters``, ids of Recotem objects, ...);
    the exporter adds the algorithm, scoring recipe, sizes, library versions and
    ``created_at`` (unless given).
    """
    seen = sps.csr_array(recommender.X_train_all, dtype=np.float64)
    seen.eliminate_zeros()
    seen.sort_indices()
    n_users, n_items = seen.shape
    arrays: dict[str, np.ndarray] = {
        **_id_arrays("user", user_ids, n_users),
        **_id_arrays("item", item_ids, n_items),
        **_csr_arrays("seen", seen, omit_ones=True),
        "item_popularity": np.asarray(seen.sum(axis=0), dtype=np.float64).ravel(),
    }
    scoring, model_arrays, versions = _export_model(recommender, seen)
    arrays.update(model_arrays)
    computed = {
        "format_version": FORMAT_VERSION,
        "algorithm": type(recommender).__name__,
        "scoring": scoring,
        "n_users": n_users,
        "n_items": n_items,
        "n_interactions": int(seen.nnz),
    }
    return ModelArtifact(_manifest(recommender, manifest, computed, versions), arrays)


def _manifest(
    recommender: BaseRecommender,
    given: Mapping[str, Any],
    computed: dict[str, Any],
    versions: dict[str, str],
) -> dict[str, Any]:
    for key in _COMPUTED_KEYS:
        if key in given and given[key] != computed[key]:
            raise ValueError(
                f"manifest[{key!r}] is {given[key]!r} but the model says {computed[key]!r}."
            )
    import irspack

    library_versions = {
        "irspack": irspack.__version__,
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "python": platform.python_version(),
        **versions,
        **given.get("library_versions", {}),
    }
    return {
        "parameters": _parameters(recommender),
        "data_fingerprint": None,
        "metrics": {},
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        **given,
        **computed,
        "library_versions": library_versions,
    }


def _parameters(recommender: BaseRecommender) -> dict[str, Any]:
    fields = getattr(type(recommender).config_class, "model_fields", {})
    parameters: dict[str, Any] = {}
    for name in [*fields, *recommender.learnt_config]:
        if name == "n_threads":
            continue
        value = recommender.learnt_config.get(name, getattr(recommender, name, None))
        if isinstance(value, enum.Enum):
            value = value.name
        elif isinstance(value, np.generic):
            value = value.item()
        if value is None or isinstance(value, bool | int | float | str):
            parameters[name] = value
    return parameters


def _id_arrays(kind: str, ids: Sequence[str], expected: int) -> dict[str, np.ndarray]:
    strings = [str(identifier) for identifier in ids]
    if len(strings) != expected:
        raise ValueError(f"{len(strings)} {kind} ids were given for a model of {expected} {kind}s.")
    if any("\x00" in s for s in strings):
        raise ValueError(f"A {kind} id contains a NUL character.")
    values = np.array(strings, dtype=str) if strings else np.zeros(0, dtype="<U1")
    order = np.argsort(values, kind="stable").astype(_index_dtype(expected))
    ordered = values[order]
    duplicates = ordered[1:][ordered[1:] == ordered[:-1]]
    if len(duplicates):
        raise ValueError(f"Duplicate {kind} id {str(duplicates[0])!r}.")
    return {f"{kind}_ids": values, f"{kind}_order": order}


def _index_dtype(largest: int) -> type[np.signedinteger[Any]]:
    return np.int32 if largest <= _INT32_MAX else np.int64


def _csr_arrays(
    prefix: str, matrix: sps.csr_array, *, omit_ones: bool = False
) -> dict[str, np.ndarray]:
    index_dtype = _index_dtype(max(matrix.nnz, *matrix.shape))
    arrays = {
        f"{prefix}_indptr": matrix.indptr.astype(index_dtype),
        f"{prefix}_indices": matrix.indices.astype(index_dtype),
    }
    if not (omit_ones and np.all(matrix.data == 1)):
        arrays[f"{prefix}_data"] = matrix.data
    return arrays


def _canonical_csr(matrix: Any) -> sps.csr_array:
    result = sps.csr_array(matrix)
    result.eliminate_zeros()
    result.sort_indices()
    return result


def _export_model(recommender: BaseRecommender, seen: sps.csr_array) -> ExportedModel:
    from irspack.recommenders import (
        BaseSimilarityRecommender,
        IALSRecommender,
        TopPopRecommender,
    )
    from irspack.recommenders.user_knn import BaseUserKNNRecommender

    if isinstance(recommender, BaseSimilarityRecommender):
        return _item_similarity(recommender.W)
    if isinstance(recommender, BaseUserKNNRecommender):
        return _user_similarity(recommender, seen)
    if isinstance(recommender, IALSRecommender):
        return _ials(recommender)
    if isinstance(recommender, TopPopRecommender):
        return {"kind": "popularity"}, {}, {}
    return _sklearn_factors(recommender)


def _item_similarity(weights: Any) -> ExportedModel:
    n_items = weights.shape[0]
    arrays: dict[str, np.ndarray]
    if sps.issparse(weights):
        matrix = _canonical_csr(weights)
        # Past about two thirds full, a dense matrix is smaller than CSR.
        if matrix.nnz * (matrix.dtype.itemsize + 4) < n_items * n_items * matrix.dtype.itemsize:
            arrays = _csr_arrays("similarity", matrix)
        else:
            arrays = {"similarity": matrix.toarray()}
    else:
        arrays = {"similarity": np.ascontiguousarray(np.asarray(weights))}
    return {"kind": "item_similarity"}, arrays, {}


def _user_similarity(recommender: Any, seen: sps.csr_array) -> ExportedModel:
    from irspack.recommenders.knn import FeatureWeightingScheme
    from irspack.recommenders.user_knn import AsymmetricCosineUserKNNRecommender
    from irspack.utils import okapi_BM_25_weight, tf_idf_weight

    arrays: dict[str, np.ndarray] = {}
    weighting = recommender.feature_weighting
    if weighting == FeatureWeightingScheme.NONE:
        weighted = seen
    else:
        if weighting == FeatureWeightingScheme.TF_IDF:
            raw = tf_idf_weight(recommender.X_train_all)
        else:
            raw = okapi_BM_25_weight(
                recommender.X_train_all, recommender.bm25_k1, recommender.bm25_b
            )
        weighted = _canonical_csr(raw)
        arrays.update(_csr_arrays("weighted_seen", weighted))
    squared_norms = np.asarray(weighted.multiply(weighted).sum(axis=1)).ravel()
    if isinstance(recommender, AsymmetricCosineUserKNNRecommender):
        alpha = float(recommender.alpha)
        norms = squared_norms ** (1.0 - alpha)
        normalize, exponent = True, alpha
    else:
        norms = np.sqrt(squared_norms)
        normalize, exponent = bool(recommender.normalize), 0.5
    neighbours = _canonical_csr(recommender.U)
    arrays.update(_csr_arrays("neighbours", neighbours))
    arrays["neighbour_norms"] = norms
    scoring = {
        "kind": "user_similarity",
        "normalize": normalize,
        "profile_norm_exponent": exponent,
        "shrinkage": float(recommender.shrinkage),
        "top_k": int(recommender.top_k),
    }
    return scoring, arrays, {}


def _ials(recommender: Any) -> ExportedModel:
    if recommender.user_features is not None or recommender.item_features is not None:
        raise ValueError("Feature-aware iALS models cannot be exported.")
    fold_in = {
        "method": "ials",
        "alpha0": float(recommender.alpha0),
        "reg": float(recommender.scaled_reg),
        "nu": float(recommender.nu),
        "loss": recommender.loss_type.name,
        "confidence_scaling": recommender.confidence_scaling.name,
        "epsilon": float(recommender.epsilon),
        "solver": recommender.solver_type.name,
        "max_cg_steps": int(recommender.prediction_time_max_cg_steps),
        "subspace_dimension": int(recommender.ialspp_subspace_dimension),
        "iterations": int(recommender.prediction_time_ialspp_iteration),
    }
    arrays = {
        "user_factors": np.array(recommender.get_user_embedding()),
        "item_factors": np.array(recommender.get_item_embedding()),
    }
    return {"kind": "factor", "fold_in": fold_in}, arrays, {}


def _sklearn_factors(recommender: Any) -> ExportedModel:
    import sklearn
    from irspack.recommenders import NMFRecommender, TruncatedSVDRecommender

    versions = {"scikit-learn": sklearn.__version__}
    if isinstance(recommender, TruncatedSVDRecommender):
        arrays = {
            "user_factors": np.ascontiguousarray(recommender.z),
            "item_factors": np.ascontiguousarray(recommender.decomposer.components_.T),
        }
        return {"kind": "factor", "fold_in": {"method": "svd"}}, arrays, versions
    if isinstance(recommender, NMFRecommender):
        model = recommender.nmf_model
        if model.solver != "cd" or model.shuffle:
            raise ValueError("Only NMF fitted by unshuffled coordinate descent can be exported.")
        n_items = recommender.n_items
        fold_in = {
            "method": "nmf",
            "l1_reg": n_items * model.alpha_W * model.l1_ratio,
            "l2_reg": n_items * model.alpha_W * (1.0 - model.l1_ratio),
            "max_iter": int(model.max_iter),
            "tol": float(model.tol),
        }
        arrays = {
            "user_factors": np.ascontiguousarray(recommender.W),
            "item_factors": np.ascontiguousarray(recommender.H.T),
        }
        return {"kind": "factor", "fold_in": fold_in}, arrays, versions
    raise ValueError(
        f"{type(recommender).__name__} cannot be exported to a Recotem model artifact."
    )
