"""A loaded model: id maps, the seen-item matrix and a scorer, behind one query API.

scipy and the numba scoring loops load with the first model, not with this module: the
backend's web process and an idle worker import the artifact package without serving
from it.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from recotem_common.artifact.errors import ArtifactError, UnsupportedOperation

if TYPE_CHECKING:
    from recotem_common.artifact.scoring import Scorer

Recommendations = list[tuple[str, float]]
_NEG_INF = float("-inf")
_SCORE_BLOCK_ELEMENTS = 1 << 24


class ModelArtifact:
    """Everything needed to serve one trained model, built from plain arrays.

    ``arrays`` holds, besides what the algorithm needs (see ``scoring``):
    ``user_ids``/``item_ids`` (fixed-width unicode; position = internal index),
    ``user_order``/``item_order`` (argsort of the ids, for vectorised lookups of
    items; users are looked up in a dictionary, see :meth:`index_users`),
    ``seen_indptr``/``seen_indices``/``seen_data`` (the training interactions as CSR;
    ``seen_data`` omitted when all ones) and ``item_popularity``.
    """

    def __init__(self, manifest: Mapping[str, Any], arrays: Mapping[str, np.ndarray]) -> None:
        self.manifest: dict[str, Any] = dict(manifest)
        self.arrays: dict[str, np.ndarray] = dict(arrays)
        from recotem_common.artifact.scoring import build_scorer, csr_from

        try:
            self.user_ids: np.ndarray = self.arrays["user_ids"]
            self.item_ids: np.ndarray = self.arrays["item_ids"]
            self._user_order = self.arrays["user_order"]
            self._item_order = self.arrays["item_order"]
            self._popularity = self.arrays["item_popularity"]
            n_users, n_items = len(self.user_ids), len(self.item_ids)
            self._seen = csr_from(self.arrays, "seen", (n_users, n_items))
            if (
                self.user_ids.dtype.kind != "U"
                or self.item_ids.dtype.kind != "U"
                or len(self._user_order) != n_users
                or len(self._item_order) != n_items
                or len(self._popularity) != n_items
            ):
                raise ArtifactError("The stored id maps are inconsistent.")
            self._scorer: Scorer = build_scorer(
                self.manifest["scoring"], self.arrays, self._seen, self._popularity
            )
        except KeyError as exc:
            raise ArtifactError(
                f"The model artifact lacks {exc.args[0]!r}; it was written by an incompatible tool."
            ) from exc
        derived = self._scorer.nbytes
        if "seen_data" not in self.arrays:
            derived += self._seen.data.nbytes
        self.nbytes: int = sum(a.nbytes for a in self.arrays.values()) + derived
        self._user_positions: dict[str, int] | None = None

    @property
    def algorithm(self) -> str:
        return str(self.manifest.get("algorithm", ""))

    @property
    def supports_profile(self) -> bool:
        return self._scorer.supports_profile

    @property
    def supports_similar(self) -> bool:
        return self._scorer.supports_similar

    @property
    def n_users(self) -> int:
        return len(self.user_ids)

    @property
    def n_items(self) -> int:
        return len(self.item_ids)

    def user_index(self, user_id: str) -> int | None:
        """The internal index of a user id, or None.

        A lookup in a dictionary of the ids, built by :meth:`index_users` on first use.
        """
        if not isinstance(user_id, str):
            return None
        return self.index_users().get(user_id)

    def index_users(self) -> dict[str, int]:
        """The user id -> index dictionary, built now if it was not yet.

        It takes about 100 bytes per user, added to ``nbytes`` when it is built; a
        caller that accounts for ``nbytes`` builds it before reading that. A binary
        search in the arrays would need no memory, but costs numpy's set-up for one
        scalar on every request.
        """
        if self._user_positions is None:
            positions = {user_id: index for index, user_id in enumerate(self.user_ids.tolist())}
            self.nbytes += sys.getsizeof(positions) + sum(
                sys.getsizeof(user_id) + sys.getsizeof(index)
                for user_id, index in positions.items()
            )
            self._user_positions = positions
        return self._user_positions

    def prepare(self) -> None:
        """Get ready to serve: build the user dictionary (see :meth:`index_users`) and
        score once, so that loading the scoring loops (compiled ahead of time, or by
        numba for this model's array types) happens now rather than in a request."""
        self.index_users()
        if self.n_users:
            self.recommend_users([str(self.user_ids[0])], 1)
        if self.n_items:
            self.popular_items(1)

    def item_index(self, item_id: str) -> int | None:
        index = int(_lookup(self.item_ids, self._item_order, [item_id])[0])
        return index if index >= 0 else None

    def recommend_users(
        self,
        user_ids: Sequence[str],
        cutoff: int,
        *,
        exclude_seen: bool = True,
        allow_items: Sequence[str] | None = None,
        exclude_items: Sequence[str] | None = None,
    ) -> list[Recommendations | None]:
        """Top ``cutoff`` items for each known user, None for each unknown one.

        The batch is scored with one matrix product (per block of rows, so that a huge
        batch never needs more than about 128 MB of scores at once).
        """
        _check_cutoff(cutoff)
        if len(user_ids) == 1:
            # Most requests: one user, without arrays of ids or rows of scores.
            user = self.user_index(user_ids[0])
            if user is None:
                return [None]
            rows = np.array([user])
            return list(
                self._recommend_rows(rows, cutoff, exclude_seen, allow_items, exclude_items)
            )
        positions_of = self.index_users()
        indices = np.array(
            [positions_of.get(u, -1) if isinstance(u, str) else -1 for u in user_ids],
            dtype=np.int64,
        )
        results: list[Recommendations | None] = [None] * len(indices)
        known = np.flatnonzero(indices >= 0)
        block = max(1, _SCORE_BLOCK_ELEMENTS // max(self.n_items, 1))
        for start in range(0, len(known), block):
            positions = known[start : start + block]
            ranked = self._recommend_rows(
                indices[positions], cutoff, exclude_seen, allow_items, exclude_items
            )
            for position, recommendations in zip(positions.tolist(), ranked, strict=True):
                results[position] = recommendations
        return results

    def recommend_profile(
        self,
        item_ids: Sequence[str],
        cutoff: int,
        *,
        exclude_seen: bool = True,
        allow_items: Sequence[str] | None = None,
        exclude_items: Sequence[str] | None = None,
    ) -> Recommendations:
        """Recommendations for a user known only by the items they interacted with.

        Unknown item ids are ignored; with no known item at all the answer is empty
        (callers wanting a fallback use :meth:`popular_items`).
        """
        _check_cutoff(cutoff)
        if not self.supports_profile:
            raise UnsupportedOperation(
                f"{self.algorithm} models cannot recommend from a list of items."
            )
        items = self._known_items(item_ids)
        if len(items) == 0:
            return []
        scores = self._scorer.score_profile(items)
        if exclude_seen:
            scores[items] = _NEG_INF
        return self._rank_row(scores, cutoff, allow_items, exclude_items)

    def similar_items(
        self,
        item_id: str,
        cutoff: int,
        *,
        allow_items: Sequence[str] | None = None,
        exclude_items: Sequence[str] | None = None,
    ) -> Recommendations | None:
        """Items most similar to ``item_id`` (never itself); None if it is unknown."""
        _check_cutoff(cutoff)
        if not self.supports_similar:
            raise UnsupportedOperation(
                f"{self.algorithm} models have no notion of item-to-item similarity."
            )
        index = self.item_index(item_id)
        if index is None:
            return None
        scores = self._scorer.similar_to(index)
        scores[index] = _NEG_INF
        return self._rank_row(scores, cutoff, allow_items, exclude_items)

    def popular_items(
        self,
        cutoff: int,
        *,
        exclude_items: Sequence[str] | None = None,
        allow_items: Sequence[str] | None = None,
    ) -> Recommendations:
        """The most interacted-with items: the fallback for users the model lacks."""
        _check_cutoff(cutoff)
        scores = np.array(self._popularity, dtype=np.float64)
        return self._rank_row(scores, cutoff, allow_items, exclude_items)

    def _recommend_rows(
        self,
        users: np.ndarray,
        cutoff: int,
        exclude_seen: bool,
        allow_items: Sequence[str] | None,
        exclude_items: Sequence[str] | None,
    ) -> list[Recommendations]:
        scores = self._scorer.score_users(users)
        if exclude_seen:
            from recotem_common.artifact import loops

            loops.compiled.mask_rows(scores, self._seen.indptr, self._seen.indices, users)
        return self._rank(scores, cutoff, allow_items, exclude_items)

    def _known_items(self, item_ids: Sequence[str]) -> np.ndarray:
        indices = _lookup(self.item_ids, self._item_order, item_ids)
        return np.unique(indices[indices >= 0])

    def _candidates(
        self,
        scores: np.ndarray,
        allow_items: Sequence[str] | None,
        exclude_items: Sequence[str] | None,
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """The scores (one row or several) with ``exclude_items`` at -inf, restricted to
        the columns of ``allow_items`` when given, and those columns."""
        if exclude_items:
            scores[..., self._known_items(exclude_items)] = _NEG_INF
        if allow_items is None:
            return scores, None
        columns = self._known_items(allow_items)
        # Picking columns gives a Fortran-ordered array; the loops take C order.
        return np.ascontiguousarray(scores[..., columns]), columns

    def _rank(
        self,
        scores: np.ndarray,
        cutoff: int,
        allow_items: Sequence[str] | None,
        exclude_items: Sequence[str] | None,
    ) -> list[Recommendations]:
        """The best ``cutoff`` items of each row of ``scores``, best first; items
        scored -inf (seen, excluded) or NaN are left out."""
        scores, columns = self._candidates(scores, allow_items, exclude_items)
        n_rows, n_columns = scores.shape
        k = min(cutoff, n_columns)
        top_indices = np.zeros((n_rows, k), dtype=np.int64)
        top_scores = np.empty((n_rows, k), dtype=scores.dtype)
        if k:
            from recotem_common.artifact import loops

            counts = loops.compiled.top_k_rows(scores, k, top_indices, top_scores).tolist()
        else:
            counts = [0] * n_rows
        ids = self.item_ids[top_indices if columns is None else columns[top_indices]].tolist()
        values = top_scores.tolist()
        return [
            list(zip(row_ids[:count], row_values[:count], strict=True))
            for row_ids, row_values, count in zip(ids, values, counts, strict=True)
        ]

    def _rank_row(
        self,
        scores: np.ndarray,
        cutoff: int,
        allow_items: Sequence[str] | None,
        exclude_items: Sequence[str] | None,
    ) -> Recommendations:
        """:meth:`_rank` for one row of scores."""
        return self._rank(scores[np.newaxis], cutoff, allow_items, exclude_items)[0]


def _check_cutoff(cutoff: int) -> None:
    if isinstance(cutoff, bool) or not isinstance(cutoff, int | np.integer) or cutoff < 1:
        raise ValueError(f"cutoff must be a positive integer, got {cutoff!r}.")


def _lookup(ids: np.ndarray, order: np.ndarray, queries: Sequence[str]) -> np.ndarray:
    """Internal indices of ``queries`` (-1 where unknown), by binary search."""
    if len(queries) == 0 or len(ids) == 0:
        return np.full(len(queries), -1, dtype=np.int64)
    # numpy drops trailing NULs from fixed-width strings, so such a query (or a
    # non-string) must be kept from matching the id without them.
    valid = np.array([isinstance(q, str) and not q.endswith("\x00") for q in queries], dtype=bool)
    wanted = np.array([q if ok else "" for q, ok in zip(queries, valid, strict=True)], dtype=str)
    positions = np.searchsorted(ids, wanted, sorter=order)
    candidates = order[np.minimum(positions, len(ids) - 1)].astype(np.int64)
    found = (ids[candidates] == wanted) & valid
    return np.where(found, candidates, -1)
