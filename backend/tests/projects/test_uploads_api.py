from __future__ import annotations

import datetime
import hashlib
import io
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from projects.models import ItemMetaData, Project, TrainingData, ValidationStatus
from projects.services import training_data_validate
from projects.tasks import validate_training_data
from tests.conftest import SentTask
from tests.factories import DeploymentSlotFactory, ProjectFactory, issue_api_key
from tests.projects.conftest import (
    SMALL_HEADER,
    SMALL_ROWS,
    Uploader,
    gzipped,
    parquet_bytes,
    small_csv,
)
from tests.schema_shape import component_mismatches, components

pytestmark = pytest.mark.django_db

Validated = Callable[..., TrainingData]


def _stored_files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_movielens_upload_is_validated_with_exact_counts(
    upload: Uploader, project: Project, ml100k_csv: Path
) -> None:
    content = ml100k_csv.read_bytes()

    response = upload(project, "ml-100k.csv", content)

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["validation_status"] == "PENDING"
    assert body["basename"] == "ml-100k.csv"
    assert body["filesize"] == len(content)
    assert body["fingerprint"] == hashlib.sha256(content).hexdigest()

    training_data_validate(training_data_id=body["id"])

    data = TrainingData.objects.get(pk=body["id"])
    assert data.validation_status == ValidationStatus.VALID, data.validation_error
    assert (data.n_rows, data.n_users, data.n_items) == (100_000, 943, 1_682)
    assert data.columns == ["user_id", "item_id", "rating", "timestamp"]
    assert data.file_format == "csv"
    assert data.validated_at is not None


def test_validation_is_queued_only_after_commit(
    upload: Uploader,
    project: Project,
    django_capture_on_commit_callbacks: Any,
    sent_tasks: list[SentTask],
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = upload(project, "small.csv", small_csv())
    assert sent_tasks == []
    for callback in callbacks:
        callback()

    assert [(sent.name, sent.args) for sent in sent_tasks] == [
        ("projects.validate_training_data", (response.json()["id"],))
    ]


def test_the_task_runs_the_validation(upload: Uploader, project: Project) -> None:
    response = upload(project, "small.csv", small_csv())
    validate_training_data(response.json()["id"])

    assert TrainingData.objects.get(pk=response.json()["id"]).n_rows == len(SMALL_ROWS)


def _jsonl() -> bytes:
    rows = [dict(zip(SMALL_HEADER, row, strict=True)) for row in SMALL_ROWS]
    return "".join(json.dumps(r) + "\n" for r in rows).encode()


def _parquet() -> bytes:
    columns = list(zip(*SMALL_ROWS, strict=True))
    return parquet_bytes(
        pa.table({name: list(values) for name, values in zip(SMALL_HEADER, columns, strict=True)})
    )


@pytest.mark.parametrize(
    ("name", "content", "file_format"),
    [
        ("a.csv", small_csv(), "csv"),
        ("a.tsv", small_csv("\t"), "tsv"),
        ("a.jsonl", _jsonl(), "jsonl"),
        ("a.ndjson", _jsonl(), "jsonl"),
        ("a.json", _jsonl(), "jsonl"),
        ("a.parquet", _parquet(), "parquet"),
        ("a.csv.gz", gzipped(small_csv()), "csv.gz"),
        ("a.tsv.gz", gzipped(small_csv("\t")), "tsv.gz"),
        ("a.jsonl.gz", gzipped(_jsonl()), "jsonl.gz"),
        ("a.parquet.gz", gzipped(_parquet()), "parquet.gz"),
        # gzip is recognised by its content, not by its name.
        ("a.csv", gzipped(small_csv()), "csv.gz"),
    ],
)
def test_every_format_gives_the_same_counts(
    validated: Validated, project: Project, name: str, content: bytes, file_format: str
) -> None:
    data = validated(project, name, content)

    assert data.validation_status == ValidationStatus.VALID, data.validation_error
    assert (data.n_rows, data.n_users, data.n_items) == (5, 3, 3)
    assert data.file_format == file_format
    assert data.columns == list(SMALL_HEADER)


def test_windows_line_endings_and_a_bom_are_accepted(
    validated: Validated, project: Project
) -> None:
    content = b"\xef\xbb\xbf" + small_csv().replace(b"\n", b"\r\n")

    data = validated(project, "excel.csv", content)

    assert data.validation_status == ValidationStatus.VALID, data.validation_error
    assert data.columns[0] == "user_id"


@pytest.mark.parametrize(
    "times",
    [
        (b"2024-05-01T10:00:00Z", b"2024-05-02T11:00:00+09:00"),
        (b"2024-05-01", b"2024-05-02 11:00"),
        (b"2024/05/01 10:00", b"2024/05/02 11:00"),
        (b"1714557600.5", b"1714557601"),
    ],
)
def test_dates_and_epochs_in_the_time_column_are_accepted(
    validated: Validated, project: Project, times: tuple[bytes, bytes]
) -> None:
    content = b"user_id,item_id,timestamp\n1,2,%s\n1,3,%s\n" % times

    data = validated(project, "times.csv", content)

    assert data.validation_status == ValidationStatus.VALID, data.validation_error


def test_project_without_time_column_ignores_time(validated: Validated, user: Any) -> None:
    project = ProjectFactory(owner=user, time_column=None)

    data = validated(project, "x.csv", b"user_id,item_id\na,b\n")

    assert data.validation_status == ValidationStatus.VALID, data.validation_error


# --- bad input rejected before anything is stored ---------------------------------


def test_upload_without_a_file_is_a_400(client: APIClient, project: Project) -> None:
    response = client.post("/api/v1/training_data/", {"project": project.pk}, format="multipart")

    assert response.status_code == 400
    assert "file" in response.json()["error"]["fields"]
    assert not TrainingData.objects.exists()


def test_empty_file_is_a_400(upload: Uploader, project: Project) -> None:
    response = upload(project, "empty.csv", b"")

    assert response.status_code == 400
    assert response.json()["error"]["message"] == "The file is empty."
    assert not TrainingData.objects.exists()
    assert _stored_files() == []


def test_unknown_extension_is_a_400_listing_the_formats(upload: Uploader, project: Project) -> None:
    response = upload(project, "data.xlsx", b"whatever")

    assert response.status_code == 400
    message = response.json()["error"]["message"]
    assert "data.xlsx" in message
    for suffix in (".csv", ".tsv", ".jsonl", ".ndjson", ".json", ".parquet", ".gz"):
        assert suffix in message


def test_another_users_project_is_refused_on_upload(upload: Uploader, other_user: Any) -> None:
    theirs = ProjectFactory(owner=other_user)

    response = upload(theirs, "a.csv", small_csv())

    assert response.status_code == 400
    assert "does not exist" in response.json()["error"]["fields"]["project"][0]
    assert not TrainingData.objects.exists()


def test_api_key_may_upload_only_to_its_project(upload: Uploader, user: Any) -> None:
    own = ProjectFactory(owner=user)
    other = ProjectFactory(owner=user)
    _, secret = issue_api_key(project=own, scopes=("write",))
    key_client = APIClient()
    key_client.credentials(HTTP_X_API_KEY=secret)

    assert upload(own, "a.csv", small_csv(), api_client=key_client).status_code == 201
    assert upload(other, "a.csv", small_csv(), api_client=key_client).status_code == 400


def test_read_key_cannot_upload(upload: Uploader, project: Project) -> None:
    _, secret = issue_api_key(project=project, scopes=("read",))
    key_client = APIClient()
    key_client.credentials(HTTP_X_API_KEY=secret)

    assert upload(project, "a.csv", small_csv(), api_client=key_client).status_code == 403


def test_file_over_the_limit_is_a_413_stating_the_limit(
    upload: Uploader, project: Project, settings: Any, tmp_path: Path
) -> None:
    settings.MAX_UPLOAD_SIZE = 2 * 1024 * 1024
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    content = b"user_id,item_id\n" + b"1,2\n" * (600 * 1024)

    response = upload(project, "big.csv", content)

    assert response.status_code == 413
    error = response.json()["error"]
    assert error["code"] == "payload_too_large"
    assert "2 MB" in error["message"]
    assert not TrainingData.objects.exists()
    assert _stored_files() == []
    assert list(tmp_path.glob("*.upload*")) == []


def test_size_is_enforced_on_the_bytes_received_too(
    upload: Uploader, project: Project, settings: Any, tmp_path: Path
) -> None:
    # Just over the limit: the Content-Length check lets it through (multipart
    # overhead is allowed for), so the byte count while streaming must stop it.
    settings.MAX_UPLOAD_SIZE = 1000
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)

    response = upload(project, "big.csv", b"user_id,item_id\n" + b"1,2\n" * 300)

    assert response.status_code == 413
    assert "0.000954 MB (1000 bytes)" in response.json()["error"]["message"]
    assert not TrainingData.objects.exists()
    assert list(tmp_path.glob("*.upload*")) == []


def test_file_exactly_at_the_limit_is_accepted(
    upload: Uploader, project: Project, settings: Any
) -> None:
    content = small_csv()
    settings.MAX_UPLOAD_SIZE = len(content)

    assert upload(project, "exact.csv", content).status_code == 201


# --- bad input found by the validation task ---------------------------------------


def _invalid(validated: Validated, project: Project, name: str, content: bytes) -> str:
    data = validated(project, name, content)
    assert data.validation_status == ValidationStatus.INVALID
    assert data.n_rows is None
    return data.validation_error


def test_missing_user_column_is_named_with_the_columns_found(
    validated: Validated, project: Project
) -> None:
    error = _invalid(validated, project, "a.csv", b"uid,item_id,timestamp\n1,2,3\n")

    assert error == (
        "The user column 'user_id' is missing. Columns found: 'uid', 'item_id', 'timestamp'."
    )


def test_missing_item_column_is_named(validated: Validated, project: Project) -> None:
    error = _invalid(validated, project, "a.jsonl", b'{"user_id": 1, "timestamp": 3}\n')

    assert "The item column 'item_id' is missing" in error
    assert "'user_id', 'timestamp'" in error


def test_wrong_separator_gets_a_hint(validated: Validated, project: Project) -> None:
    error = _invalid(validated, project, "a.csv", small_csv(";"))

    assert "separated by semicolons" in error


def test_non_utf8_bytes_name_line_and_column(validated: Validated, project: Project) -> None:
    content = small_csv() + b"u9,caf\xe9,1,881250960\n"

    error = _invalid(validated, project, "latin1.csv", content)

    assert error.startswith("Line 7, column 7: bytes are not valid UTF-8")


def test_non_utf8_in_json_lines_names_line_and_column(
    validated: Validated, project: Project
) -> None:
    content = _jsonl() + b'{"user_id": "\xff", "item_id": "i", "timestamp": 1}\n'

    error = _invalid(validated, project, "a.jsonl", content)

    assert error.startswith("Line 6, column 14: bytes are not valid UTF-8")


def test_malformed_csv_line_is_named(validated: Validated, project: Project) -> None:
    lines = small_csv().decode().splitlines()
    lines.insert(4, "u9,i9,3")
    content = ("\n".join(lines) + "\n").encode()

    error = _invalid(validated, project, "a.csv", content)

    assert error == "Line 5: expected 4 fields, found 3."


def test_malformed_json_line_is_named(validated: Validated, project: Project) -> None:
    content = _jsonl() + b'{"user_id": "x", "item_id": \n'

    error = _invalid(validated, project, "a.jsonl", content)

    assert error.startswith("Line 6, column")


def test_bad_time_value_names_the_line(validated: Validated, project: Project) -> None:
    content = small_csv() + b"u1,i1,3,yesterday\n"

    error = _invalid(validated, project, "a.csv", content)

    assert error.startswith("Line 7: 'yesterday' in column 'timestamp' is not a date/time")


def test_empty_id_names_the_line(validated: Validated, project: Project) -> None:
    content = small_csv() + b"\n,i1,3,881250949\n"

    error = _invalid(validated, project, "a.csv", content)

    assert error == "Line 8: the user_id value is empty."


def test_header_only_is_invalid(validated: Validated, project: Project) -> None:
    error = _invalid(validated, project, "a.csv", b"user_id,item_id,timestamp\n")

    assert error == "The file has column names but no data rows."


@pytest.mark.parametrize("header", [b"user_id,,item_id,timestamp", b"user_id, ,item_id,timestamp"])
def test_blank_column_names_are_invalid(
    validated: Validated, project: Project, header: bytes
) -> None:
    error = _invalid(validated, project, "a.csv", header + b"\n1,2,3,4\n")

    assert error == "Line 1: column 2 of the header has no name; every column needs a name."


def test_binary_file_renamed_csv_is_invalid(validated: Validated, project: Project) -> None:
    content = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + os.urandom(2048)

    error = _invalid(validated, project, "photo.csv", content)

    assert error == "This is not a text CSV file: it contains binary data."


def test_spreadsheet_renamed_csv_is_explained(validated: Validated, project: Project) -> None:
    error = _invalid(validated, project, "book.csv", b"PK\x03\x04" + b"\x00" * 100)

    assert "ZIP archive" in error


def test_gzip_bomb_is_stopped_while_decompressing(
    validated: Validated, project: Project, settings: Any
) -> None:
    settings.MAX_DECOMPRESSED_SIZE = 100_000
    content = gzipped(small_csv() + b"u1,i1,3,881250949\n" * 200_000)

    error = _invalid(validated, project, "bomb.csv.gz", content)

    assert "Decompressed, this file is larger than the" in error
    assert "100000 bytes" in error


def _parquet_bomb(**options: Any) -> bytes:
    """About 150 MB of interactions (one long user id, repeated) in a few hundred KiB."""
    n_rows = 150_000
    table = pa.table(
        {
            "user_id": pa.array(["u" * 1000] * n_rows),
            "item_id": pa.array(["i1"] * n_rows),
            "rating": pa.array([3] * n_rows),
            "timestamp": pa.array([881250949] * n_rows),
        }
    )
    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression="zstd", **options)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("encoding", "compressed"),
    [
        # Plain encoding: the row groups' uncompressed sizes in the metadata are over.
        ({"use_dictionary": False}, False),
        ({"use_dictionary": False}, True),
        # Dictionary encoding: only decoding shows the size.
        ({"use_dictionary": True}, False),
        ({"use_dictionary": True}, True),
    ],
)
def test_parquet_bomb_is_stopped(
    validated: Validated,
    project: Project,
    settings: Any,
    encoding: dict[str, Any],
    compressed: bool,
) -> None:
    settings.MAX_DECOMPRESSED_SIZE = 10 * 1024**2
    content = _parquet_bomb(**encoding)
    assert len(content) < 512 * 1024
    name = "bomb.parquet.gz" if compressed else "bomb.parquet"

    error = _invalid(validated, project, name, gzipped(content) if compressed else content)

    assert error == "Decompressed, this file is larger than the 10 MB limit; upload a smaller file."


def test_an_id_longer_than_inference_accepts_is_refused_with_its_line(
    validated: Validated, project: Project
) -> None:
    content = small_csv() + f"{'u' * 257},i1,3,881250949\n".encode()

    error = _invalid(validated, project, "long.csv", content)

    assert error == (
        f"Line {len(SMALL_ROWS) + 2}: the user_id value is longer than 256 characters, "
        "the longest id recommendations can be asked for; shorten the ids."
    )


def test_an_id_of_the_longest_length_is_accepted(validated: Validated, project: Project) -> None:
    # Characters, not bytes: 256 two-byte characters fit.
    content = small_csv() + f"{'é' * 256},i1,3,881250949\n".encode()

    data = validated(project, "long.csv", content)

    assert data.validation_status == ValidationStatus.VALID, data.validation_error


def test_truncated_gzip_is_invalid(validated: Validated, project: Project) -> None:
    error = _invalid(validated, project, "cut.csv.gz", gzipped(small_csv())[:-12])

    assert "gzip data is corrupt or truncated" in error


# --- preview, download, unlink, delete -----------------------------------------------


def test_preview_returns_columns_and_capped_rows(
    client: APIClient, validated: Validated, project: Project
) -> None:
    data = validated(project, "a.csv", small_csv())

    default = client.get(f"/api/v1/training_data/{data.pk}/preview/").json()
    two = client.get(f"/api/v1/training_data/{data.pk}/preview/?n_rows=2").json()

    assert default["columns"] == list(SMALL_HEADER)
    assert default["rows"][0] == ["u1", "i1", "5", "881250949"]
    assert len(default["rows"]) == 5
    assert len(two["rows"]) == 2


def test_preview_caps_rows_at_1000(
    client: APIClient, validated: Validated, project: Project
) -> None:
    content = b"user_id,item_id,timestamp\n" + b"a,b,1\n" * 1500
    data = validated(project, "a.csv", content)

    body = client.get(f"/api/v1/training_data/{data.pk}/preview/?n_rows=5000").json()

    assert len(body["rows"]) == 1000


@pytest.mark.parametrize("n_rows", ["0", "-3", "many"])
def test_preview_refuses_bad_row_counts(
    client: APIClient, validated: Validated, project: Project, n_rows: str
) -> None:
    data = validated(project, "a.csv", small_csv())

    response = client.get(f"/api/v1/training_data/{data.pk}/preview/?n_rows={n_rows}")

    assert response.status_code == 400


def test_preview_of_a_file_not_yet_valid_is_a_409(
    client: APIClient, upload: Uploader, project: Project
) -> None:
    pk = upload(project, "a.csv", small_csv()).json()["id"]

    response = client.get(f"/api/v1/training_data/{pk}/preview/")

    assert response.status_code == 409
    assert "PENDING" in response.json()["error"]["message"]


def test_preview_of_parquet_makes_values_json_safe(
    client: APIClient, validated_meta: Callable[..., ItemMetaData], project: Project
) -> None:
    table = pa.table(
        {
            "item_id": [1, 2],
            "released": [datetime.date(1995, 1, 1), None],
            "genres": [["a", "b"], []],
        }
    )
    meta = validated_meta(project, "items.parquet", parquet_bytes(table))

    body = client.get(f"/api/v1/item_meta_data/{meta.pk}/preview/").json()

    assert body == {
        "columns": ["item_id", "released", "genres"],
        "rows": [[1, "1995-01-01", ["a", "b"]], [2, None, []]],
        "total_rows": 2,
    }


def test_download_streams_the_original_bytes(
    client: APIClient, upload: Uploader, project: Project
) -> None:
    content = gzipped(small_csv())
    pk = upload(project, "my data.csv.gz", content).json()["id"]

    response = client.get(f"/api/v1/training_data/{pk}/download_file/")

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == content
    assert 'filename="my data.csv.gz"' in response["Content-Disposition"]
    assert response["Content-Disposition"].startswith("attachment")
    # The one type the schema declares, whatever the ending suggests.
    assert response["Content-Type"] == "application/octet-stream"


def test_another_users_upload_is_404_for_every_action(
    client: APIClient, validated: Validated, other_user: Any
) -> None:
    owner_client = APIClient()
    owner_client.force_authenticate(other_user)
    theirs = validated(ProjectFactory(owner=other_user), "a.csv", small_csv(), owner_client)
    base = f"/api/v1/training_data/{theirs.pk}"

    assert client.get(f"{base}/").status_code == 404
    assert client.get(f"{base}/preview/").status_code == 404
    assert client.get(f"{base}/download_file/").status_code == 404
    assert client.post(f"{base}/unlink_file/").status_code == 404
    assert client.delete(f"{base}/").status_code == 404


def test_unlink_removes_the_file_but_keeps_the_row(
    client: APIClient,
    validated: Validated,
    project: Project,
    django_capture_on_commit_callbacks: Any,
) -> None:
    data = validated(project, "a.csv", small_csv())
    assert len(_stored_files()) == 1

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/api/v1/training_data/{data.pk}/unlink_file/")

    assert response.status_code == 200
    assert response.json()["file"] is None
    assert response.json()["n_rows"] == 5
    assert component_mismatches(response.json(), "TrainingData") == []
    assert components()["TrainingData"]["properties"]["file"]["nullable"] is True
    assert _stored_files() == []
    assert client.get(f"/api/v1/training_data/{data.pk}/download_file/").status_code == 404
    assert client.get(f"/api/v1/training_data/{data.pk}/preview/").status_code == 400


@pytest.mark.parametrize("job_status", ["PENDING", "RUNNING"])
def test_unlink_is_refused_while_a_tuning_job_uses_the_data(
    client: APIClient, validated: Validated, project: Project, tuning_job: Any, job_status: str
) -> None:
    data = validated(project, "a.csv", small_csv())
    job = tuning_job(data, job_status)

    response = client.post(f"/api/v1/training_data/{data.pk}/unlink_file/")

    assert response.status_code == 409
    assert f"Tuning job #{job.pk}" in response.json()["error"]["message"]
    data.refresh_from_db()
    assert data.file
    assert len(_stored_files()) == 1


def test_unlink_is_allowed_once_the_job_finished(
    client: APIClient, validated: Validated, project: Project, tuning_job: Any
) -> None:
    data = validated(project, "a.csv", small_csv())
    tuning_job(data, "COMPLETED")

    assert client.post(f"/api/v1/training_data/{data.pk}/unlink_file/").status_code == 200


def test_deleting_the_row_deletes_its_file(
    client: APIClient,
    validated: Validated,
    project: Project,
    django_capture_on_commit_callbacks: Any,
) -> None:
    data = validated(project, "a.csv", small_csv())

    with django_capture_on_commit_callbacks(execute=True):
        response = client.delete(f"/api/v1/training_data/{data.pk}/")

    assert response.status_code == 204
    assert not TrainingData.objects.filter(pk=data.pk).exists()
    assert _stored_files() == []


def test_uploads_cannot_be_edited_beyond_their_basename(
    client: APIClient, validated: Validated, project: Project
) -> None:
    data = validated(project, "a.csv", small_csv())

    patched = client.patch(f"/api/v1/training_data/{data.pk}/", {"n_rows": 1})
    replaced = client.put(f"/api/v1/training_data/{data.pk}/", {"basename": "b.csv"})

    assert patched.status_code == 400
    assert patched.json()["error"]["fields"]["n_rows"] == ["Only basename can be changed here."]
    assert replaced.status_code == 405
    data.refresh_from_db()
    assert (data.basename, data.n_rows) == ("a.csv", 5)


def test_server_computed_fields_are_ignored_on_create(client: APIClient, project: Project) -> None:
    response = client.post(
        "/api/v1/training_data/",
        {
            "project": project.pk,
            "file": SimpleUploadedFile("a.csv", small_csv()),
            "validation_status": "VALID",
            "n_rows": 42,
        },
        format="multipart",
    )

    assert response.status_code == 201
    assert response.json()["validation_status"] == "PENDING"
    assert response.json()["n_rows"] is None


def test_list_filters_by_project_and_status(
    client: APIClient, validated: Validated, user: Any
) -> None:
    first = ProjectFactory(owner=user)
    second = ProjectFactory(owner=user)
    validated(first, "a.csv", small_csv())
    validated(second, "b.csv", b"nothing useful\n")

    by_project = client.get(f"/api/v1/training_data/?project={first.pk}").json()
    invalid = client.get("/api/v1/training_data/?validation_status=INVALID").json()

    assert by_project["count"] == 1
    assert [r["basename"] for r in invalid["results"]] == ["b.csv"]


# --- item metadata --------------------------------------------------------------------


def test_item_metadata_records_items_and_other_columns(
    validated_meta: Callable[..., ItemMetaData], project: Project
) -> None:
    content = b'item_id,title,genres\ni1,"Toy Story (1995)",Animation\ni2,"Heat, the",Action\n'

    meta = validated_meta(project, "items.csv", content)

    assert meta.validation_status == ValidationStatus.VALID, meta.validation_error
    assert (meta.n_rows, meta.n_items) == (2, 2)
    assert meta.valid_columns_list_json == ["title", "genres"]


def test_item_metadata_without_item_column_is_invalid(
    validated_meta: Callable[..., ItemMetaData], project: Project
) -> None:
    meta = validated_meta(project, "items.csv", b"movie,title\n1,x\n")

    assert meta.validation_status == ValidationStatus.INVALID
    assert "The item column 'item_id' is missing" in meta.validation_error


def test_delete_is_refused_while_a_tuning_job_uses_the_data(
    client: APIClient, validated: Validated, project: Project, tuning_job: Any
) -> None:
    data = validated(project, "a.csv", small_csv())
    tuning_job(data, "PENDING")

    response = client.delete(f"/api/v1/training_data/{data.pk}/")

    assert response.status_code == 409
    assert TrainingData.objects.filter(pk=data.pk).exists()
    assert len(_stored_files()) == 1


def test_delete_is_refused_while_a_model_of_the_data_is_deployed(
    client: APIClient, project: Project
) -> None:
    slot = DeploymentSlotFactory(project=project)

    response = client.delete(f"/api/v1/training_data/{slot.trained_model.data_loc_id}/")

    assert response.status_code == 409
    assert "deployment slot" in response.json()["error"]["message"]
    assert TrainingData.objects.filter(pk=slot.trained_model.data_loc_id).exists()


def test_item_lookup_answers_the_rows_of_the_items_asked_for(
    client: APIClient, validated_meta: Callable[..., ItemMetaData], project: Project
) -> None:
    content = b'item_id,title,genres\ni1,"Toy Story (1995)",Animation\ni2,"Heat, the",Action\n'
    meta = validated_meta(project, "items.csv", content)

    response = client.get(
        f"/api/v1/item_meta_data/{meta.pk}/items/?item_id=i2&item_id=unknown&item_id=i2&item_id=i1"
    )

    assert response.status_code == 200, response.json()
    assert response.json() == {
        "item_column": "item_id",
        "columns": ["item_id", "title", "genres"],
        "rows": [
            {"item_id": "i2", "title": "Heat, the", "genres": "Action"},
            {"item_id": "unknown", "title": None, "genres": None},
            {"item_id": "i1", "title": "Toy Story (1995)", "genres": "Animation"},
        ],
    }


def test_item_lookup_without_items_says_how_to_name_them(
    client: APIClient, validated_meta: Callable[..., ItemMetaData], project: Project
) -> None:
    meta = validated_meta(project, "items.csv", b"item_id,title\ni1,x\n")

    response = client.get(f"/api/v1/item_meta_data/{meta.pk}/items/")

    assert response.status_code == 400
    assert response.json()["error"]["fields"]["item_id"] == ["Name at least one item: ?item_id=…"]
