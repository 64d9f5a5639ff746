from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from projects.models import Project
from tests.projects.conftest import Uploader, small_csv

pytestmark = pytest.mark.django_db


def test_the_limit_reported_is_the_one_enforced(
    client: APIClient, upload: Uploader, project: Project, settings: Any
) -> None:
    content = small_csv()
    settings.MAX_UPLOAD_SIZE = len(content) - 1

    limits = client.get("/api/v1/upload_limits/").json()
    refused = upload(project, "small.csv", content)

    assert limits["max_upload_size"] == len(content) - 1
    assert refused.status_code == 413, refused.json()
    assert refused.json()["error"]["code"] == "payload_too_large"


def test_every_accepted_format_is_listed(client: APIClient) -> None:
    limits = client.get("/api/v1/upload_limits/").json()

    assert limits["accepted_suffixes"] == [".csv", ".tsv", ".jsonl", ".ndjson", ".json", ".parquet"]
    assert limits["compressed_suffix"] == ".gz"


def test_signed_out_clients_are_refused(anon_client: APIClient) -> None:
    response = anon_client.get("/api/v1/upload_limits/")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
