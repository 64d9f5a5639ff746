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
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar, TypeAlias

import numpy as np
from scipy import sparse as sps

from recotem_common.artifact.errors import ArtifactError
from recotem_common.artifact.foldin import IALSFoldIn, NMFFoldIn, svd_fold_in

# irspack adds this to every similarity denominator; a profile must match it.
_SIMILARITY_EPSILON = 1e-6
# About 40 MB of temporaries in ``_RowProduct``.
_GATHER_LIMIT = 1 << 20
# Up to this many rows ``_RowProduct`` beats scipy's product (measured on MovieLens).
_GATHER_ROWS = 8

Matrix: TypeAlias = sps.csr_array | np.ndarray


class Scorer:
    supports_profile: ClassVar[bool] = False
    supports_similar: ClassVar[bool] = False
    # Bytes of arrays the scorer derives from the artifact's at load.
    nbytes: int = 0

    def score_users(self, users: np.ndarray) -> np.ndarray:
        """A fresh, writable (len(users), n_items) array."""
        raise NotImplementedError

    def score_user(self, user: int) -> np.ndarray:
        """One user's row of :meth:`score_users`, equal to it bit for bit."""
        row: np.ndarray = self.score_users(np.array([user]))[0]
        return row

    def score_profile(self, items: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def similar_to(self, item: int) -> np.ndarray:
        raise NotImplementedError


def _dense(product: Any) -> np.ndarray:
    if sps.issparse(product):
        product = product.toarray()
    return np.array(product, copy=None)


def csr_positions(indptr: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where the entries of ``rows`` sit in a CSR matrix's indices and data, row after
    row, and how many each row has."""
    starts = indptr[rows]
    lengths = indptr[rows + 1] - starts
    first_position = lengths.cumsum() - lengths
    positions = np.arange(int(lengths.sum())) + (starts - first_position).repeat(lengths)
    return positions, lengths


class _RowProduct:
    """``left[rows] @ right`` for one row or a few, as dense rows equal to scipy's
    product bit for bit.

    scipy's sparse indexing and product cost about a tenth of a millisecond of set-up
    however small the operands, most of the time one user takes. Here the rows of
    ``right`` that ``left[row]`` names are gathered and summed with ``bincount``: each
    product is formed in scipy's result dtype and added in the order scipy's kernels
    add it (row after row of ``right``, starting from zero). At this size each numpy
    call costs more than its arithmetic, so what does not depend on the row is worked
    out once: the dtype, where each row of ``right`` starts and how long it is (as
    int64, sparing a type promotion per call); and weights that are all ones (implicit
    feedback) are not multiplied by.
    """

    def __init__(self, left: sps.csr_array, right: Matrix, *, unit_weights: bool) -> None:
        self.left = left
        self.right = right
        self.dtype = np.result_type(left.dtype, right.dtype)
        self.unit_weights = unit_weights
        self.right_starts: np.ndarray | None = None
        self.right_lengths: np.ndarray | None = None
        self.nbytes = 0
        if not isinstance(right, np.ndarray):
            indptr = right.indptr.astype(np.int64)
            self.right_starts = indptr[:-1]
            self.right_lengths = np.diff(indptr)
            self.nbytes = indptr.nbytes + self.right_lengths.nbytes

    def row(self, row: int) -> np.ndarray | None:
        """The product for one row, or None when it would gather more than
        ``_GATHER_LIMIT`` entries (scipy's kernel needs no such temporaries)."""
        start, end = self.left.indptr[row], self.left.indptr[row + 1]
        return self._gather(self.left.indices[start:end], self.left.data[start:end], None)

    def rows(self, rows: np.ndarray) -> np.ndarray | None:
        """The products for several rows, ``(len(rows), n)``; None as for :meth:`row`,
        and for a dense ``right``."""
        positions, per_row = csr_positions(self.left.indptr, rows)
        flat = self._gather(self.left.indices[positions], self.left.data[positions], per_row)
        return None if flat is None else flat.reshape(len(rows), self.right.shape[1])

    def _gather(
        self, middle: np.ndarray, weights: np.ndarray, per_row: np.ndarray | None
    ) -> np.ndarray | None:
        """Sum ``weights`` times the rows ``middle`` of ``right``; ``per_row`` says how
        many of them belong to each output row, when there are several."""
        right, dtype, n_columns = self.right, self.dtype, self.right.shape[1]
        if weights.dtype != dtype:
            weights = weights.astype(dtype)
        if self.right_starts is None or self.right_lengths is None:
            if per_row is not None or len(middle) * n_columns > _GATHER_LIMIT:
                return None
            products = right[middle] * weights[:, np.newaxis]
            dense_sum: np.ndarray = np.add.reduce(products, axis=0, dtype=dtype, initial=0)
            return dense_sum
        assert isinstance(right, sps.csr_array)
        lengths = self.right_lengths[middle]
        ends = lengths.cumsum()
        total = int(ends[-1]) if len(ends) else 0
        if total > _GATHER_LIMIT:
            return None
        entries = np.arange(total) + (self.right_starts[middle] - ends + lengths).repeat(lengths)
        values = right.data[entries]
        if values.dtype != dtype:
            values = values.astype(dtype)
        if not self.unit_weights:
            values = values * weights.repeat(lengths)
        targets = right.indices[entries]
        size = n_columns
        if per_row is not None:
            # Each output row gets its own stretch of bins.
            size = len(per_row) * n_columns
            targets = targets + (np.arange(len(per_row)) * n_columns).repeat(per_row).repeat(
                lengths
            )
        if dtype == np.float64:
            # The same sequential sums as np.add.at, several times faster; float64 only.
            return np.bincount(targets, weights=values, minlength=size)
        scores = np.zeros(size, dtype=dtype)
        np.add.at(scores, targets, values)
        return scores


def _small_product(
    products: _RowProduct, rows: np.ndarray, whole: Callable[[], np.ndarray]
) -> np.ndarray:
    """``products.rows(rows)`` for up to ``_GATHER_ROWS`` rows, else (or when it
    declines) ``whole()``, scipy's product: past a few rows its kernel is faster."""
    if len(rows) <= _GATHER_ROWS:
        scores = products.rows(rows)
        if scores is not None:
            return scores
    return whole()


class ItemSimilarityScorer(Scorer):
    supports_profile = True
    supports_similar = True

    def __init__(self, seen: sps.csr_array, similarity: Matrix, *, implicit: bool) -> None:
        self.seen = seen
        self.similarity = similarity
        self._products = _RowProduct(seen, similarity, unit_weights=implicit)
        self.nbytes = self._products.nbytes

    def score_users(self, users: np.ndarray) -> np.ndarray:
        return _small_product(
            self._products, users, lambda: _dense(self.seen[users] @ self.similarity)
        )

    def score_user(self, user: int) -> np.ndarray:
        row = self._products.row(user)
        return super().score_user(user) if row is None else row

    def score_profile(self, items: np.ndarray) -> np.ndarray:
        return _dense(self.similarity[items].sum(axis=0)).ravel()

    def similar_to(self, item: int) -> np.ndarray:
        if isinstance(self.similarity, np.ndarray):
            return self.similarity[item].copy()
        row = self.similarity[[item]]
        scores = np.full(row.shape[1], -np.inf, dtype=row.dtype)
        scores[row.indices] = row.data
        return scores


class UserSimilarityScorer(Scorer):
    supports_profile = True

    def __init__(
        self,
        seen: sps.csr_array,
        neighbours: sps.csr_array,
        weighted: sps.csr_array,
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
        return _small_product(
            self._products, users, lambda: _dense(self.neighbours[users] @ self.seen)
        )

    def score_user(self, user: int) -> np.ndarray:
        row = self._products.row(user)
        return super().score_user(user) if row is None else row

    def score_profile(self, items: np.ndarray) -> np.ndarray:
        profile = np.zeros(self.weighted.shape[1])
        profile[items] = 1.0
        overlap = self.weighted @ profile
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
        return _dense(self.seen[candidates].T @ similarity).ravel()


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


def csr_from(
    arrays: Mapping[str, np.ndarray], prefix: str, shape: tuple[int, int]
) -> sps.csr_array:
    indptr = arrays[f"{prefix}_indptr"]
    indices = arrays[f"{prefix}_indices"]
    data = arrays.get(f"{prefix}_data")
    if data is None:
        # An all-ones matrix (implicit feedback) is stored without its values.
        data = np.ones(len(indices))
    if len(indptr) != shape[0] + 1 or len(indices) != len(data) or indptr[-1] != len(indices):
        raise ArtifactError(f"The stored {prefix} matrix is inconsistent.")
    return sps.csr_array((data, indices, indptr), shape=shape, copy=False)


def build_scorer(
    scoring: Mapping[str, Any],
    arrays: Mapping[str, np.ndarray],
    seen: sps.csr_array,
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
