from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from tuning.splitting import SplitError, SplitSpec, compute_split, dump_split, load_split


def _load() -> pd.DataFrame:
    path = Path(__file__).resolve().parents[3].parent / "shared" / "datasets" / "ml-100k" / "u.data"
    data = pd.read_csv(path, sep="\t", names=["user", "item", "rating", "time"], dtype=str)
    data["time"] = pd.to_datetime(data["time"].astype(int), unit="s")
    return data[["user", "item", "time"]].astype({"user": object, "item": object})


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return _load()


def _split(frame: pd.DataFrame, **spec: Any) -> Any:
    return compute_split(
        frame,
        user_column="user",
        item_column="item",
        time_column="time",
        spec=SplitSpec(**spec),
    )


def test_random_split_holds_out_part_of_the_validation_users_interactions(
    frame: pd.DataFrame,
) -> None:
    split = _split(frame, heldout_ratio=0.2, test_user_ratio=0.25, random_seed=1)

    assert split.X_train.shape == (943, 1682)
    assert split.n_val_users == 943 - split.offset == int(943 * 0.25)
    assert split.X_train.nnz + split.X_val.nnz == 100_000
    # Held-out interactions are not in the training rows of the same users.
    val_train = split.X_train[split.offset :]
    assert val_train.multiply(split.X_val).nnz == 0


def test_the_same_seed_gives_the_same_split_and_another_seed_does_not(frame: pd.DataFrame) -> None:
    first = _split(frame, test_user_ratio=0.3, random_seed=5)
    again = _split(frame, test_user_ratio=0.3, random_seed=5)
    other = _split(frame, test_user_ratio=0.3, random_seed=6)

    assert list(first.user_ids) == list(again.user_ids)
    assert (first.X_val != again.X_val).nnz == 0
    assert set(first.user_ids[first.offset :]) != set(other.user_ids[other.offset :])


def _digest(split: Any) -> str:
    digest = hashlib.sha256()
    for array in (
        split.X_train.indptr,
        split.X_train.indices,
        split.X_val.indptr,
        split.X_val.indices,
        split.user_ids.astype(str),
        split.item_ids.astype(str),
    ):
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


DIGEST_IN_ANOTHER_PROCESS = """
import sys, pandas as pd
sys.path[:0] = sys.argv[1:3]
from tests.tuning.test_splitting import _digest, _load, _split
print(_digest(_split(_load(), test_user_ratio=0.3, random_seed=5)))
"""


def test_a_seed_gives_the_same_split_in_every_process(frame: pd.DataFrame) -> None:
    here = _digest(_split(frame, test_user_ratio=0.3, random_seed=5))
    backend = Path(__file__).resolve().parents[2]
    other = subprocess.run(
        [sys.executable, "-c", DIGEST_IN_ANOTHER_PROCESS, str(backend / "recotem"), str(backend)],
        env={**os.environ, "PYTHONHASHSEED": "12345"},
        capture_output=True,
        text=True,
        check=True,
    )

    assert other.stdout.strip() == here


def test_per_user_time_split_holds_out_each_users_latest_interactions(frame: pd.DataFrame) -> None:
    split = _split(frame, scheme="TU", n_heldout=2, n_test_users=100)

    assert split.n_val_users == 100
    assert split.X_val.nnz == 200
    times = frame.set_index(["user", "item"])["time"]
    for row in range(5):
        user = split.user_ids[split.offset + row]
        held_out = [times[user, item] for item in split.item_ids[split.X_val[row].indices]]
        kept = [
            times[user, item] for item in split.item_ids[split.X_train[split.offset + row].indices]
        ]
        assert min(held_out) >= max(kept)


def test_global_time_split_holds_out_what_happened_after_one_point_in_time(
    frame: pd.DataFrame,
) -> None:
    split = _split(frame, scheme="TG", heldout_ratio=0.1, test_user_ratio=1.0)

    cut = frame["time"].quantile(0.9)
    assert split.X_val.nnz == int((frame["time"] > cut).sum())


def test_time_schemes_need_a_time_column(frame: pd.DataFrame) -> None:
    with pytest.raises(SplitError, match="needs a time column"):
        compute_split(
            frame,
            user_column="user",
            item_column="item",
            time_column=None,
            spec=SplitSpec(scheme="TG"),
        )


def test_more_test_users_than_users_is_explained(frame: pd.DataFrame) -> None:
    with pytest.raises(SplitError, match="only 943 users"):
        _split(frame, n_test_users=5000)


def test_a_split_file_round_trips_without_pickle(frame: pd.DataFrame) -> None:
    split = _split(frame, test_user_ratio=0.5)

    loaded = load_split(dump_split(split))

    assert (loaded.X_train != split.X_train).nnz == 0
    assert (loaded.X_val != split.X_val).nnz == 0
    assert loaded.offset == split.offset
    assert np.array_equal(loaded.user_ids, split.user_ids)
    assert np.array_equal(loaded.item_ids, split.item_ids)
