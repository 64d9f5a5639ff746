"""Reading model files from the backend's default storage (local directory or S3).

boto3 (with botocore, about 30 MB per process) is imported only when S3 is the storage.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from inference.config import Settings

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


class ModelFileMissing(Exception):
    """The database names a model file that the storage does not have."""


class ArtifactStore(Protocol):
    def read(self, name: str) -> bytes: ...


class LocalStore:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def read(self, name: str) -> bytes:
        path = (self.root / name).resolve()
        # The name comes from the database; never follow it outside the media root.
        if not path.is_relative_to(self.root):
            raise ModelFileMissing(f"{name} is outside the media root.")
        try:
            return path.read_bytes()
        except FileNotFoundError as exc:
            raise ModelFileMissing(f"{name} does not exist in {self.root}.") from exc


class S3Store:
    def __init__(self, settings: Settings) -> None:
        self.bucket = settings.aws_storage_bucket_name
        self.location = settings.aws_location.strip("/")
        import boto3

        self.client: S3Client = boto3.client(
            "s3",
            endpoint_url=settings.aws_s3_endpoint_url,
            region_name=settings.aws_s3_region_name,
            aws_access_key_id=settings.aws_access_key_id,
            aws_secret_access_key=settings.aws_secret_access_key,
        )

    def read(self, name: str) -> bytes:
        from botocore.exceptions import ClientError

        key = f"{self.location}/{name}" if self.location else name
        try:
            return self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in {"NoSuchKey", "404"}:
                raise ModelFileMissing(f"s3://{self.bucket}/{key} does not exist.") from exc
            raise


def create_store(settings: Settings) -> ArtifactStore:
    if settings.storage_type == "S3":
        return S3Store(settings)
    return LocalStore(settings.media_path)
