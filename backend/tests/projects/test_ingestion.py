from __future__ import annotations

import datetime
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from core.exceptions import Conflict, ValidationFailed
from projects import ingestion, readers
from projects.ingestion import (
    DistinctCounter,
    inspect_interactions,
    load_interactions,
    load_item_metadata,
)
from projects.models import ItemMetaData, Project, TrainingData
from projects.readers import DataFileError, StoredFile
from projects.services import upload_unlink_file
from tests.factories import ProjectFactory
from tests.projects.conftest import parquet_bytes, small_csv

pytestmark = pytest.mark.django_db

Validated = Callable[..., TrainingData]


def _stored(name: str, content: bytes) -> StoredFile:
    return StoredFile(opener=lambda: io.BytesIO(content), name=name, max_decompressed_size=10**9)


def _inspect(name: str, content: bytes) -> Any:
    return inspect_interactions(
        _stored(name, content), user_column="u", item_column="i", time_column="t"
    )


def test_load_interactions_of_movielens(
    validated: Validated, project: Project, ml100k_csv: Path
) -> None:
    data = validated(project, "ml.csv", ml100k_csv.read_bytes())

    frame = load_interactions(data)

    assert list(frame.columns) == ["user_id", "item_id", "timestamp"]
    assert len(frame) == 100_000
    assert frame["user_id"].dtype == object
    assert frame["item_id"].dtype == object
    assert frame["timestamp"].dtype == np.dtype("datetime64[ns]")
    assert frame["user_id"].nunique() == 943
    assert frame["item_id"].nunique() == 1_682
    first = frame.iloc[0]
    assert (first["user_id"], first["item_id"]) == ("196", "242")
    assert first["timestamp"] == datetime.datetime(1997, 12, 4, 15, 55, 49)


def test_load_interactions_turns_parquet_ids_into_strings(validated: Validated, user: Any) -> None:
    project = ProjectFactory(owner=user, time_column="ts")
    tokyo = pa.array([0, 3_600_000], pa.timestamp("ms", tz="Asia/Tokyo"))
    table = pa.table({"user_id": [1, 2], "item_id": [10, 20], "ts": tokyo, "x": [1.0, 2.0]})
    data = validated(project, "d.parquet", parquet_bytes(table))

    frame = load_interactions(data)

    assert frame["user_id"].tolist() == ["1", "2"]
    assert frame["item_id"].tolist() == ["10", "20"]
    assert frame["ts"].tolist() == [
        datetime.datetime(1970, 1, 1, 0, 0),
        datetime.datetime(1970, 1, 1, 1, 0),
    ]


def test_load_interactions_without_time_column(validated: Validated, user: Any) -> None:
    project = ProjectFactory(owner=user, time_column=None)
    data = validated(project, "d.csv", small_csv())

    frame = load_interactions(data)

    assert list(frame.columns) == ["user_id", "item_id"]
    assert frame["user_id"].tolist() == ["u1", "u1", "u2", "u3", "u3"]


def test_load_interactions_refuses_data_that_is_not_valid(
    upload: Any, project: Project, validated: Validated
) -> None:
    pending = TrainingData.objects.get(pk=upload(project, "a.csv", small_csv()).json()["id"])
    with pytest.raises(Conflict, match="validation status is PENDING"):
        load_interactions(pending)

    unlinked = upload_unlink_file(upload=validated(project, "b.csv", small_csv()))
    with pytest.raises(ValidationFailed, match="was removed"):
        load_interactions(unlinked)


def test_load_item_metadata_keeps_every_column(
    validated_meta: Callable[..., ItemMetaData], project: Project
) -> None:
    rows = [{"item_id": 7, "title": "Heat", "year": 1995}, {"item_id": 8, "title": "Up"}]
    content = "".join(json.dumps(r) + "\n" for r in rows).encode()
    meta = validated_meta(project, "items.jsonl", content)

    frame = load_item_metadata(meta)

    assert list(frame.columns) == ["item_id", "title", "year"]
    assert frame["item_id"].tolist() == ["7", "8"]
    assert frame["item_id"].dtype == object
    assert frame["title"].tolist() == ["Heat", "Up"]


def test_errors_are_located_in_later_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(readers, "CSV_BLOCK_BYTES", 256)
    body = b"".join(b"user%d,item%d,%d\n" % (n, n % 7, 1_600_000_000 + n) for n in range(600))
    lines = (b"u,i,t\n" + body).splitlines(keepends=True)

    bad_time = lines.copy()
    bad_time[450] = b"user1,item1,soon\n"
    with pytest.raises(DataFileError, match=r"^Line 451: 'soon' in column 't'"):
        _inspect("x.csv", b"".join(bad_time))

    short = lines.copy()
    short[520] = b"user1,item1\n"
    with pytest.raises(DataFileError, match=r"^Line 521: expected 3 fields, found 2\.$"):
        _inspect("x.csv", b"".join(short))

    stats = _inspect("x.csv", b"".join(lines))
    assert (stats.n_rows, stats.n_users, stats.n_items) == (600, 600, 7)


def test_quoted_newlines_and_blank_lines_keep_line_numbers_right(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(readers, "CSV_BLOCK_BYTES", 64)
    content = b'u,i,t\n"a\nb",x,1\n\nc,y,2\n' + b"d,z,3\n" * 20 + b"e,,4\n"

    with pytest.raises(DataFileError, match=r"^Line 26: the i value is empty\.$"):
        _inspect("x.csv", content)


def test_json_lines_errors_are_located_across_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(readers, "JSON_CHUNK_BYTES", 200)
    good = [json.dumps({"u": n, "i": "x", "t": n}).encode() for n in range(60)]

    type_change = good.copy()
    type_change[41] = b'{"u": "str", "i": "x", "t": 1}'
    with pytest.raises(DataFileError, match=r"^Line 42: 'u' is a string here but a number"):
        _inspect("x.jsonl", b"\n".join(type_change) + b"\n")

    not_object = good.copy()
    not_object[33] = b"[1, 2]"
    with pytest.raises(DataFileError, match=r"^Line 34: expected a JSON object, found an array"):
        _inspect("x.jsonl", b"\n".join(not_object) + b"\n")

    missing = good.copy()
    missing[50] = b'{"u": 1, "t": 2}'
    with pytest.raises(DataFileError, match=r"^Line 51: the i value is empty\.$"):
        _inspect("x.jsonl", b"\n".join(missing) + b"\n")

    stats = _inspect("x.jsonl", b"\n".join(good) + b"\n")
    assert (stats.n_rows, stats.n_users, stats.n_items) == (60, 60, 1)


def test_mixed_time_formats_in_one_column_are_reported() -> None:
    content = b"u,i,t\na,b,1700000000\na,c,2024-01-01\n"

    with pytest.raises(DataFileError, match=r"^Line 3: '2024-01-01' in column 't'"):
        _inspect("x.csv", content)


def test_utf16_file_is_explained() -> None:
    content = "u,i,t\na,b,1\n".encode("utf-16")

    with pytest.raises(DataFileError, match="UTF-16"):
        _inspect("x.csv", content)


def test_json_array_is_explained() -> None:
    with pytest.raises(DataFileError, match="JSON array"):
        _inspect("x.json", b'[{"u": 1, "i": 2, "t": 3}]')


def test_parquet_with_the_wrong_content_is_explained() -> None:
    with pytest.raises(DataFileError, match="not a Parquet file"):
        _inspect("x.parquet", small_csv())


def test_distinct_counter_merges_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ingestion, "MIN_MERGE_SIZE", 4)
    counter = DistinctCounter()
    for start in range(0, 100, 10):
        counter.add(pa.array([str(n % 37) for n in range(start, start + 10)]))

    assert counter.count == 37
    assert DistinctCounter().count == 0
