"""A loaded model: id maps, the seen-item matrix and a scorer, behind one query API."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from recotem_common.artifact.errors import ArtifactError, UnsupportedOperation
from recotem_common.artifact.scoring import Scorer, build_scorer, csr_from

Recommendations = list[tuple[str, float]]
_NEG_INF = float("-inf")
_SCORE_BLOCK_ELEMENTS = 1 << 24


class ModelArtifact:
    """Everything needed to serve one trained model, built from plain arrays.

    ``arrays`` holds, besides what the algorithm needs (see ``scoring``):
    ``user_ids``/``item_ids`` (fixed-width unicode; position = internal index),
    ``user_order``/``item_order`` (argsort of the ids, for vectorised lookups),
    ``seen_indptr``/``seen_indices``/``seen_data`` (the training interactions as CSR;
    ``seen_data`` omitted when all ones) and ``item_popularity``.
    """

    def __init__(self, manifest: Mapping[str, Any], arrays: Mapping[str, np.ndarray]) -> None:
        self.manifest: dict[str, Any] = dict(manifest)
        self.arrays: dict[str, np.ndarray] = dict(arrays)
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
        derived = 0 if "seen_data" in self.arrays else self._seen.data.nbytes
        self.nbytes: int = sum(a.nbytes for a in self.arrays.values()) + derived

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
        index = int(_lookup(self.user_ids, self._user_order, [user_id])[0])
        return index if index >= 0 else None

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
        indices = _lookup(self.user_ids, self._user_order, user_ids)
        results: list[Recommendations | None] = [None] * len(indices)
        known = np.flatnonzero(indices >= 0)
        block = max(1, _SCORE_BLOCK_ELEMENTS // max(self.n_items, 1))
        for start in range(0, len(known), block):
            positions = known[start : start + block]
            users = indices[positions]
            scores = self._scorer.score_users(users)
            if exclude_seen:
                self._mask_seen(scores, users)
            ranked = self._rank(scores, cutoff, allow_items, exclude_items)
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
        scores = self._scorer.score_profile(items)[np.newaxis, :]
        if exclude_seen:
            scores[0, items] = _NEG_INF
        return self._rank(scores, cutoff, allow_items, exclude_items)[0]

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
        scores = self._scorer.similar_to(index)[np.newaxis, :]
        scores[0, index] = _NEG_INF
        return self._rank(scores, cutoff, allow_items, exclude_items)[0]

    def popular_items(
        self,
        cutoff: int,
        *,
        exclude_items: Sequence[str] | None = None,
        allow_items: Sequence[str] | None = None,
    ) -> Recommendations:
        """The most interacted-with items: the fallback for users the model lacks."""
        _check_cutoff(cutoff)
        scores = np.array(self._popularity, dtype=np.float64)[np.newaxis, :]
        return self._rank(scores, cutoff, allow_items, exclude_items)[0]

    def _known_items(self, item_ids: Sequence[str]) -> np.ndarray:
        indices = _lookup(self.item_ids, self._item_order, item_ids)
        return np.unique(indices[indices >= 0])

    def _mask_seen(self, scores: np.ndarray, users: np.ndarray) -> None:
        indptr, indices = self._seen.indptr, self._seen.indices
        starts = indptr[users]
        lengths = indptr[users + 1] - starts
        rows = np.repeat(np.arange(len(users)), lengths)
        first_position = np.cumsum(lengths) - lengths
        positions = np.arange(int(lengths.sum())) + np.repeat(starts - first_position, lengths)
        scores[rows, indices[positions]] = _NEG_INF

    def _rank(
        self,
        scores: np.ndarray,
        cutoff: int,
        allow_items: Sequence[str] | None,
        exclude_items: Sequence[str] | None,
    ) -> list[Recommendations]:
        if exclude_items:
            scores[:, self._known_items(exclude_items)] = _NEG_INF
        columns: np.ndarray | None = None
        if allow_items is not None:
            columns = self._known_items(allow_items)
            scores = scores[:, columns]
        top = _top_k(scores, cutoff)
        values = np.take_along_axis(scores, top, axis=1).tolist()
        ids = self.item_ids[top if columns is None else columns[top]].tolist()
        return [
            [
                (item, score)
                for item, score in zip(row_ids, row_values, strict=True)
                if score > _NEG_INF
            ]
            for row_ids, row_values in zip(ids, values, strict=True)
        ]


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


def _top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Column indices of each row's ``k`` highest scores, best first (NaN last)."""
    n_rows, n_columns = scores.shape
    k = min(k, n_columns)
    # Selecting the k smallest of the negated scores: numpy's introselect is an order
    # of magnitude slower when asked for the k largest of rows full of equal values,
    # which sparse models (KNN, P3, SLIM) produce.
    keys = np.negative(scores)
    keys[np.isnan(keys)] = np.inf
    if k < n_columns:
        top = np.argpartition(keys, k - 1, axis=1)[:, :k]
    else:
        top = np.broadcast_to(np.arange(n_columns), (n_rows, n_columns))
    order = np.argsort(np.take_along_axis(keys, top, axis=1), axis=1, kind="stable")
    return np.take_along_axis(top, order, axis=1)
