"""Dense score rows from the arrays of an artifact, one class per family of algorithm.

Each scorer reproduces the ``get_score`` of the irspack recommenders it stands for:

- ``item_similarity`` (item KNNs, SLIM, DenseSLIM, EDLAE, P3alpha, RP3beta):
  ``X[u] @ W``; a profile is a row of ones; similar items are a row of ``W``.
- ``user_similarity`` (user KNNs): ``S[u] @ X``; a profile gets its neighbours by the
  same similarity formula the model was trained with. There is no item-item relation
  in such a model, so it cannot answer "similar items".
- ``factor`` (iALS, truncated SVD, NMF): ``U[u] @ V.T``; a profile is folded in (see
  ``foldin``); similar items by cosine of item factors.
- ``popularity`` (TopPop): the interaction count of each item, for everyone.

Sparse matrices are ``SparseRows``, plain numpy arrays: serving needs no scipy. The sums
run in scipy's order, so scores equal the ones scipy's sparse products give bit for bit.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, TypeAlias

import numpy as np

from recotem_common.artifact import loops
from recotem_common.artifact.errors import ArtifactError
from recotem_common.artifact.foldin import IALSFoldIn, NMFFoldIn, svd_fold_in

# irspack adds this to every similarity denominator; a profile must match it.
_SIMILARITY_EPSILON = 1e-6


@dataclass(frozen=True)
class SparseRows:
    """A CSR matrix as the artifact stores it, with the few products scoring needs."""

    data: np.ndarray
    indices: np.ndarray
    indptr: np.ndarray
    shape: tuple[int, int]

    @property
    def dtype(self) -> np.dtype[Any]:
        return self.data.dtype

    def _entries(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Positions in ``indices``/``data`` of the entries of ``rows``, row after row,
        and the position in ``rows`` each belongs to."""
        starts, ends = self.indptr[rows], self.indptr[rows + 1]
        lengths = ends - starts
        owner = np.repeat(np.arange(len(rows)), lengths)
        first_of_owner = np.cumsum(lengths) - lengths
        return np.repeat(starts, lengths) + np.arange(len(owner)) - first_of_owner[owner], owner

    def weighted_row_sum(self, rows: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        """``sum(weights[k] * self[rows[k]])`` as a dense row (all weights 1 when none),
        added entry by entry in the order of ``rows``, as scipy's ``self[rows].T @ w``
        and ``self[rows].sum(axis=0)`` do."""
        positions, owner = self._entries(np.asarray(rows, dtype=np.int64))
        values = self.data[positions]
        dtype = self.dtype if weights is None else np.result_type(self.dtype, weights.dtype)
        if weights is not None:
            values = values * weights[owner]
        out = np.zeros(self.shape[1], dtype=dtype)
        np.add.at(out, self.indices[positions], values)
        return out

    def dot(self, vector: np.ndarray) -> np.ndarray:
        """``self @ vector``: each row's products summed in order, as scipy does."""
        rows = np.repeat(np.arange(self.shape[0]), np.diff(self.indptr))
        out = np.zeros(self.shape[0], dtype=np.result_type(self.dtype, vector.dtype))
        np.add.at(out, rows, self.data * vector[self.indices])
        return out

    def row(self, row: int, fill: float) -> np.ndarray:
        """Row ``row`` as a dense array, ``fill`` where it has no entry."""
        start, end = self.indptr[row], self.indptr[row + 1]
        dense = np.full(self.shape[1], fill, dtype=self.dtype)
        dense[self.indices[start:end]] = self.data[start:end]
        return dense


Matrix: TypeAlias = SparseRows | np.ndarray


class Scorer:
    supports_profile: ClassVar[bool] = False
    supports_similar: ClassVar[bool] = False
    # Bytes of arrays the scorer derives from the artifact's at load.
    nbytes: int = 0

    def score_users(self, users: np.ndarray) -> np.ndarray:
        """A fresh, writable (len(users), n_items) array."""
        raise NotImplementedError

    def score_profile(self, items: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def similar_to(self, item: int) -> np.ndarray:
        raise NotImplementedError


class _RowProduct:
    """``left[rows] @ right`` as dense rows, equal to scipy's product bit for bit.

    scipy's sparse indexing and product cost about a tenth of a millisecond of set-up
    however small the operands, most of the time one user takes; the compiled gather
    (see ``kernels`` and ``loops``) does the same sums in one call. Weights that are all ones
    (implicit feedback) are not multiplied by.
    """

    def __init__(self, left: SparseRows, right: Matrix, *, unit_weights: bool) -> None:
        self.left = left
        self.right = right
        self.dtype = np.result_type(left.dtype, right.dtype)
        self.unit_weights = unit_weights
        # The products are formed in the result's dtype, as scipy forms them.
        self.weights = left.data if left.data.dtype == self.dtype else left.data.astype(self.dtype)
        self.nbytes = 0 if self.weights is left.data else self.weights.nbytes

    def rows(self, rows: np.ndarray) -> np.ndarray:
        """The products for ``rows``, a fresh ``(len(rows), n)`` array."""
        left, right = self.left, self.right
        out = np.zeros((len(rows), right.shape[1]), dtype=self.dtype)
        if isinstance(right, np.ndarray):
            loops.compiled.gather_dense_rows(
                left.indptr, left.indices, self.weights, right, rows, out
            )
        else:
            loops.compiled.gather_sparse_rows(
                left.indptr,
                left.indices,
                self.weights,
                right.indptr,
                right.indices,
                right.data,
                rows,
                self.unit_weights,
                out,
            )
        return out


class ItemSimilarityScorer(Scorer):
    supports_profile = True
    supports_similar = True

    def __init__(self, seen: SparseRows, similarity: Matrix, *, implicit: bool) -> None:
        self.seen = seen
        self.similarity = similarity
        self._products = _RowProduct(seen, similarity, unit_weights=implicit)
        self.nbytes = self._products.nbytes

    def score_users(self, users: np.ndarray) -> np.ndarray:
        return self._products.rows(users)

    def score_profile(self, items: np.ndarray) -> np.ndarray:
        if isinstance(self.similarity, np.ndarray):
            return self.similarity[items].sum(axis=0)
        return self.similarity.weighted_row_sum(items)

    def similar_to(self, item: int) -> np.ndarray:
        if isinstance(self.similarity, np.ndarray):
            return self.similarity[item].copy()
        return self.similarity.row(item, -np.inf)


class UserSimilarityScorer(Scorer):
    supports_profile = True

    def __init__(
        self,
        seen: SparseRows,
        neighbours: SparseRows,
        weighted: SparseRows,
        norms: np.ndarray,
        params: Mapping[str, Any],
    ) -> None:
        self.seen = seen
        self.neighbours = neighbours
        self.weighted = weighted
        self.norms = norms
        self.normalize = bool(params["normalize"])
        self.profile_norm_exponent = float(params["profile_norm_exponent"])
        self.shrinkage = float(params["shrinkage"])
        self.top_k = int(params["top_k"])
        self._products = _RowProduct(neighbours, seen, unit_weights=False)
        self.nbytes = self._products.nbytes

    def score_users(self, users: np.ndarray) -> np.ndarray:
        return self._products.rows(users)

    def score_profile(self, items: np.ndarray) -> np.ndarray:
        profile = np.zeros(self.weighted.shape[1])
        profile[items] = 1.0
        overlap = self.weighted.dot(profile)
        candidates = np.flatnonzero(overlap)
        similarity = overlap[candidates]
        if self.normalize:
            profile_norm = float(len(items)) ** self.profile_norm_exponent
            similarity = similarity / (
                self.norms[candidates] * profile_norm + self.shrinkage + _SIMILARITY_EPSILON
            )
        if len(candidates) > self.top_k:
            keep = np.argpartition(similarity, len(similarity) - self.top_k)
            keep = keep[len(similarity) - self.top_k :]
            candidates, similarity = candidates[keep], similarity[keep]
        return self.seen.weighted_row_sum(candidates, similarity)


class FactorScorer(Scorer):
    supports_profile = True
    supports_similar = True

    def __init__(
        self,
        user_factors: np.ndarray,
        item_factors: np.ndarray,
        fold_in: Callable[[np.ndarray], np.ndarray],
    ) -> None:
        self.user_factors = user_factors
        self.item_factors = item_factors
        self.fold_in = fold_in
        self._item_norms: np.ndarray | None = None

    def score_users(self, users: np.ndarray) -> np.ndarray:
        return self.user_factors[users] @ self.item_factors.T

    def score_profile(self, items: np.ndarray) -> np.ndarray:
        result: np.ndarray = self.item_factors @ self.fold_in(items)
        return result

    def similar_to(self, item: int) -> np.ndarray:
        if self._item_norms is None:
            self._item_norms = np.linalg.norm(self.item_factors, axis=1)
        norms = self._item_norms
        dots = self.item_factors @ self.item_factors[item]
        with np.errstate(divide="ignore", invalid="ignore"):
            cosine = dots / (norms * norms[item])
        cosine[~np.isfinite(cosine)] = -np.inf
        result: np.ndarray = cosine
        return result


class PopularityScorer(Scorer):
    supports_profile = True

    def __init__(self, popularity: np.ndarray) -> None:
        self.popularity = popularity

    def score_users(self, users: np.ndarray) -> np.ndarray:
        return np.tile(self.popularity, (len(users), 1))

    def score_profile(self, items: np.ndarray) -> np.ndarray:
        return self.popularity.copy()


def csr_from(arrays: Mapping[str, np.ndarray], prefix: str, shape: tuple[int, int]) -> SparseRows:
    indptr = arrays[f"{prefix}_indptr"]
    indices = arrays[f"{prefix}_indices"]
    data = arrays.get(f"{prefix}_data")
    if data is None:
        # An all-ones matrix (implicit feedback) is stored without its values.
        data = np.ones(len(indices))
    if len(indptr) != shape[0] + 1 or len(indices) != len(data) or indptr[-1] != len(indices):
        raise ArtifactError(f"The stored {prefix} matrix is inconsistent.")
    return SparseRows(data, indices, indptr, shape)


def build_scorer(
    scoring: Mapping[str, Any],
    arrays: Mapping[str, np.ndarray],
    seen: SparseRows,
    popularity: np.ndarray,
) -> Scorer:
    kind = scoring.get("kind")
    n_users, n_items = seen.shape
    if kind == "item_similarity":
        similarity: Matrix
        if "similarity" in arrays:
            similarity = arrays["similarity"]
        else:
            similarity = csr_from(arrays, "similarity", (n_items, n_items))
        if similarity.shape != (n_items, n_items):
            raise ArtifactError("The stored item similarity has the wrong shape.")
        # Without stored values the seen matrix is all ones (implicit feedback).
        return ItemSimilarityScorer(seen, similarity, implicit="seen_data" not in arrays)
    if kind == "user_similarity":
        neighbours = csr_from(arrays, "neighbours", (n_users, n_users))
        weighted = (
            csr_from(arrays, "weighted_seen", (n_users, n_items))
            if "weighted_seen_indptr" in arrays
            else seen
        )
        return UserSimilarityScorer(seen, neighbours, weighted, arrays["neighbour_norms"], scoring)
    if kind == "factor":
        user_factors, item_factors = arrays["user_factors"], arrays["item_factors"]
        if user_factors.shape[0] != n_users or item_factors.shape[0] != n_items:
            raise ArtifactError("The stored factors do not match the id maps.")
        return FactorScorer(user_factors, item_factors, _fold_in(scoring["fold_in"], item_factors))
    if kind == "popularity":
        return PopularityScorer(popularity)
    raise ArtifactError(f"Unknown scoring kind {kind!r} in the manifest.")


def _fold_in(
    params: Mapping[str, Any], item_factors: np.ndarray
) -> Callable[[np.ndarray], np.ndarray]:
    method = params.get("method")
    if method == "ials":
        return IALSFoldIn(dict(params), item_factors)
    if method == "nmf":
        return NMFFoldIn(dict(params), item_factors)
    if method == "svd":
        return lambda items: svd_fold_in(item_factors, items)
    raise ArtifactError(f"Unknown fold-in method {method!r} in the manifest.")
