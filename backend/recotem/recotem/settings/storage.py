from __future__ import annotations

from typing import Any

from recotem.settings.env import DATA_DIR, env
from recotem_common.paths import media_root

MEDIA_ROOT = env.str("MEDIA_ROOT", default=str(media_root(DATA_DIR)))
MEDIA_URL = "/media/"
RECOTEM_STORAGE_TYPE: str = env.str("RECOTEM_STORAGE_TYPE", default="").upper()

# Uploads are refused above this size by the server itself, not only by the proxy.
MAX_UPLOAD_SIZE: int = env.int("MAX_UPLOAD_SIZE", default=512 * 1024 * 1024)
# A compressed upload may not expand beyond this many bytes (gzip bombs).
MAX_DECOMPRESSED_SIZE: int = env.int("MAX_DECOMPRESSED_SIZE", default=4 * 1024**3)
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024


def _default_storage() -> dict[str, Any]:
    if RECOTEM_STORAGE_TYPE == "S3":
        return {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": env.str("AWS_STORAGE_BUCKET_NAME"),
                "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default=None),
                "region_name": env.str("AWS_S3_REGION_NAME", default=None),
                "access_key": env.str("AWS_ACCESS_KEY_ID", default=None),
                "secret_key": env.str("AWS_SECRET_ACCESS_KEY", default=None),
                "location": env.str("AWS_LOCATION", default=""),
                "file_overwrite": False,
                "default_acl": None,
            },
        }
    return {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
    }


STORAGES = {
    "default": _default_storage(),
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# Model artifacts are signed with the first key and verified with any of them (rotation);
# with none set, a key derived from SECRET_KEY is used. `manage.py resign_models`
# re-signs stored artifacts after the first key changes.
MODEL_SIGNING_KEYS: list[str] = env.list("MODEL_SIGNING_KEYS", default=[])

# The MovieLens 100K sample project: a local copy of the unzipped data (a directory with
# u.data and u.item), or else the archive downloaded once from GroupLens, checked against
# the checksum GroupLens publishes (ml-100k.zip.md5), and kept under RECOTEM_DATA_DIR.
RECOTEM_SAMPLE_DATA_DIR: str = env.str("RECOTEM_SAMPLE_DATA_DIR", default="")
RECOTEM_SAMPLE_DATA_URL: str = env.str(
    "RECOTEM_SAMPLE_DATA_URL",
    default="https://files.grouplens.org/datasets/movielens/ml-100k.zip",
)
RECOTEM_SAMPLE_DATA_MD5: str = env.str(
    "RECOTEM_SAMPLE_DATA_MD5", default="0e33842e24a9c977be4e0107933c0723"
)
RECOTEM_SAMPLE_CACHE_DIR: str = str(DATA_DIR / "samples" / "ml-100k")
