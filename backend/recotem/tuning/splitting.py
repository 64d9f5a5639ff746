"""The train/validation split of a tuning job, computed once and shared as a file.

Django-free: the trial runner subprocess loads split files with :func:`load_split`.
irspack and scipy are imported by the functions that split, so that importing the
module (the backend's training services do) loads neither.
Every worker of a job scores its trials on the one file the prepare step wrote, and
the file's SHA-256 is recorded on each trial, so "all trials used the same validation
set" can be checked after the fact.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd
    import scipy.sparse as sps
    from irspack.split import UserTrainTestInteractionPair

RANDOM = "RG"
TIME_GLOBAL = "TG"
TIME_USER = "TU"


class SplitError(ValueError):
    """The data cannot be split as configured (the message says why)."""


@dataclass(frozen=True)
class SplitSpec:
    scheme: str = RANDOM
    heldout_ratio: float = 0.1
    n_heldout: int | None = None
    test_user_ratio: float = 1.0
    n_test_users: int | None = None
    random_seed: int = 42


@dataclass(frozen=True)
class Split:
    """Rows ``[0, offset)`` are users kept whole for training; rows ``[offset, n)``
    are validation users, whose held-out interactions are ``X_val``."""

    X_train: sps.csr_matrix
    X_val: sps.csr_matrix
    offset: int
    user_ids: np.ndarray
    item_ids: np.ndarray

    @property
    def n_val_users(self) -> int:
        return int(self.X_val.shape[0])


def compute_split(
    frame: pd.DataFrame,
    *,
    user_column: str,
    item_column: str,
    time_column: str | None,
    spec: SplitSpec,
) -> Split:
    if spec.scheme in (TIME_GLOBAL, TIME_USER) and not time_column:
        raise SplitError(
            f"The split scheme {spec.scheme} needs a time column, and this project "
            "has none. Use the random scheme (RG) or set the project's time column."
        )
    if frame.empty:
        raise SplitError("The training data has no rows.")
    # irspack shuffles the unique ids in place, which is only safe on numpy object
    # arrays, not on pandas' Arrow-backed string arrays.
    frame = frame.astype({user_column: object, item_column: object})
    frame = frame.drop_duplicates([user_column, item_column], keep="first")
    n_users = int(frame[user_column].nunique())
    if spec.n_test_users is not None and spec.n_test_users > n_users:
        raise SplitError(
            f"n_test_users is {spec.n_test_users} but the data has only {n_users} users."
        )
    if spec.scheme == TIME_GLOBAL:
        assert time_column is not None
        split = _time_global(frame, user_column, item_column, time_column, spec)
    else:
        split = _per_user(
            frame,
            user_column,
            item_column,
            time_column if spec.scheme == TIME_USER else None,
            spec,
        )
    if split.n_val_users == 0 or split.X_val.nnz == 0:
        raise SplitError(
            "The split leaves no validation interactions: raise heldout_ratio or "
            "test_user_ratio (or set n_heldout / n_test_users)."
        )
    return split


def _per_user(
    frame: pd.DataFrame,
    user_column: str,
    item_column: str,
    time_column: str | None,
    spec: SplitSpec,
) -> Split:
    """Pick the validation users with the seed, then hold out part of each one's
    interactions with irspack's per-user random or latest-first split.

    Users are drawn in file order and items are in sorted order, so one seed gives one
    split in every process (irspack's all-in-one helper orders items by a ``set``,
    which differs between interpreters).
    """
    from irspack.split import UserTrainTestInteractionPair
    from irspack.split.userwise import (
        split_train_test_userwise_random,
        split_train_test_userwise_time,
    )
    from irspack.utils import df_to_sparse

    random = np.random.RandomState(spec.random_seed)
    users = frame[user_column].unique()
    n_val = spec.n_test_users
    if n_val is None:
        n_val = int(len(users) * spec.test_user_ratio)
    val_users = users[random.permutation(len(users))[:n_val]]
    item_ids = np.sort(frame[item_column].unique()).tolist()
    is_val = frame[user_column].isin(set(val_users)).to_numpy()
    train_frame = frame[~is_val]
    train_users = train_frame[user_column].unique()
    train_matrix, _, _ = df_to_sparse(
        train_frame, user_column, item_column, user_ids=train_users, item_ids=item_ids
    )
    train = UserTrainTestInteractionPair(train_users, train_matrix, None)
    if time_column is None:
        val = split_train_test_userwise_random(
            frame[is_val],
            user_column,
            item_column,
            item_ids,
            spec.heldout_ratio,
            spec.n_heldout,
            random,
        )
    else:
        val = _sorted_rows(
            split_train_test_userwise_time(
                frame[is_val],
                user_column,
                item_column,
                time_column,
                item_ids,
                spec.heldout_ratio,
                spec.n_heldout,
            )
        )
    return _assemble(train, val, item_ids)


def _sorted_rows(pair: UserTrainTestInteractionPair) -> UserTrainTestInteractionPair:
    """The same users in id order (irspack's time split orders them by a ``set``)."""
    from irspack.split import UserTrainTestInteractionPair

    order = np.argsort(np.asarray(pair.user_ids, dtype=str), kind="stable")
    return UserTrainTestInteractionPair(
        [pair.user_ids[i] for i in order], pair.X_train[order], pair.X_test[order]
    )


def _time_global(
    frame: pd.DataFrame,
    user_column: str,
    item_column: str,
    time_column: str,
    spec: SplitSpec,
) -> Split:
    """Hold out what happened after one global point in time: the last
    ``heldout_ratio`` of all interactions. With ``n_heldout``, a validation user's
    targets are their first ``n_heldout`` interactions after that point."""
    from irspack.split import holdout_specific_interactions

    frame = frame.sort_values(time_column, kind="stable").reset_index(drop=True)
    threshold = frame[time_column].quantile(1.0 - spec.heldout_ratio)
    after = (frame[time_column] > threshold).to_numpy()
    if spec.n_heldout is not None:
        rank = frame[after].groupby(user_column).cumcount().to_numpy()
        beyond = np.zeros(len(frame), dtype=bool)
        beyond[np.flatnonzero(after)[rank >= spec.n_heldout]] = True
        frame = frame[~beyond].reset_index(drop=True)
        after = after[~beyond]
    n_validatable = int(frame.loc[after, user_column].nunique())
    if n_validatable == 0:
        raise SplitError("No interaction happens after the time cut-off; raise heldout_ratio.")
    val_ratio = spec.test_user_ratio
    if spec.n_test_users is not None:
        val_ratio = min(1.0, spec.n_test_users / n_validatable)
    item_ids, datasets = holdout_specific_interactions(
        frame,
        user_column,
        item_column,
        np.flatnonzero(after),
        validatable_user_ratio_val=val_ratio,
        validatable_user_ratio_test=0.0,
        random_state=spec.random_seed,
    )
    return _assemble(datasets["train"], datasets["val"], item_ids)


def _binary(matrix: sps.spmatrix) -> sps.csr_matrix:
    import scipy.sparse as sps

    result = sps.csr_matrix(matrix, dtype=np.float64)
    result.sum_duplicates()
    result.data[:] = 1.0
    result.sort_indices()
    return result


def _assemble(train: Any, val: Any, item_ids: Any) -> Split:
    import scipy.sparse as sps

    n_items = len(item_ids)
    train_part = sps.csr_matrix(train.X_all, shape=(train.n_users, n_items))
    stacked = sps.vstack([train_part, sps.csr_matrix(val.X_train)], format="csr")
    return Split(
        X_train=_binary(stacked),
        X_val=_binary(val.X_test),
        offset=int(train.n_users),
        user_ids=np.asarray([str(u) for u in [*train.user_ids, *val.user_ids]]),
        item_ids=np.asarray([str(i) for i in item_ids]),
    )


def dump_split(split: Split) -> bytes:
    """A compressed ``.npz`` without pickled objects (ids are fixed-width strings)."""
    buffer = io.BytesIO()
    arrays: dict[str, np.ndarray] = {
        "offset": np.asarray(split.offset, dtype=np.int64),
        "user_ids": split.user_ids.astype(str),
        "item_ids": split.item_ids.astype(str),
    }
    for name, matrix in (("train", split.X_train), ("val", split.X_val)):
        arrays[f"{name}_data"] = matrix.data.astype(np.float32)
        arrays[f"{name}_indices"] = matrix.indices
        arrays[f"{name}_indptr"] = matrix.indptr
        arrays[f"{name}_shape"] = np.asarray(matrix.shape, dtype=np.int64)
    np.savez_compressed(buffer, **arrays)  # type: ignore[arg-type]
    return buffer.getvalue()


def load_split(data: bytes) -> Split:
    import scipy.sparse as sps

    with np.load(io.BytesIO(data), allow_pickle=False) as arrays:

        def matrix(name: str) -> sps.csr_matrix:
            return sps.csr_matrix(
                (
                    arrays[f"{name}_data"].astype(np.float64),
                    arrays[f"{name}_indices"],
                    arrays[f"{name}_indptr"],
                ),
                shape=tuple(arrays[f"{name}_shape"]),
            )

        return Split(
            X_train=matrix("train"),
            X_val=matrix("val"),
            offset=int(arrays["offset"]),
            user_ids=arrays["user_ids"],
            item_ids=arrays["item_ids"],
        )


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
