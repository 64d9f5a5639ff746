"""Model files from local storage or S3."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from inference.config import Settings
from inference.storage import LocalStore, ModelFileMissing, S3Store, create_store
from tests.conftest import SECRET_KEY


def test_local_store_reads_below_the_media_root_only(tmp_path: Path) -> None:
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "m.rctm").write_bytes(b"abc")
    (tmp_path.parent / "secret.txt").write_bytes(b"no")
    store = LocalStore(tmp_path)

    assert store.read("models/m.rctm") == b"abc"
    with pytest.raises(ModelFileMissing):
        store.read("../secret.txt")
    with pytest.raises(ModelFileMissing):
        store.read("models/absent.rctm")


def test_s3_store_reads_under_the_configured_location(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="recotem")
        boto3.client("s3", region_name="us-east-1").put_object(
            Bucket="recotem", Key="media/models/m.rctm", Body=b"artifact"
        )
        settings = Settings(
            secret_key=SECRET_KEY,
            storage_type="S3",
            aws_storage_bucket_name="recotem",
            aws_location="media/",
            aws_s3_region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )
        store = create_store(settings)

        assert isinstance(store, S3Store)
        assert store.read("models/m.rctm") == b"artifact"
        with pytest.raises(ModelFileMissing):
            store.read("models/absent.rctm")
