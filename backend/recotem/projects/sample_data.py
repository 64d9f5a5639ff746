"""MovieLens 100K for the sample project: a local copy, or GroupLens's archive
downloaded once and verified against its published checksum.

The data is GroupLens Research's, under their terms (``TERMS``); it is fetched on the
user's request and kept in the data directory, never shipped with Recotem.
"""

from __future__ import annotations

import hashlib
import io
import shutil
import tempfile
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

from django.conf import settings

from core.exceptions import SourceUnavailable

FILES = ("u.data", "u.item")
TERMS = (
    "MovieLens 100K is provided by GroupLens Research at the University of Minnesota "
    "for research and education. It may not be redistributed or used commercially "
    "without their permission; publications using it cite F. Maxwell Harper and Joseph "
    "A. Konstan, The MovieLens Datasets: History and Context, ACM TiiS 5(4), 2015. Full "
    "terms: https://files.grouplens.org/datasets/movielens/ml-100k-README.txt"
)
DOWNLOAD_TIMEOUT_SECONDS = 60
# The archive is about 5 MB; anything far larger is not it.
MAX_ARCHIVE_BYTES = 32 * 1024 * 1024
_POINT_AT_A_COPY = (
    "To use a copy instead, download ml-100k.zip elsewhere, unzip it and set "
    "RECOTEM_SAMPLE_DATA_DIR to the directory that holds u.data and u.item."
)


def _complete(directory: Path) -> bool:
    return all((directory / name).is_file() for name in FILES)


def movielens_dir() -> Path:
    """A directory holding MovieLens 100K's ``u.data`` and ``u.item``.

    ``RECOTEM_SAMPLE_DATA_DIR`` when set; otherwise the copy kept from an earlier
    download, or a new download. Raises ``SourceUnavailable`` saying what to do when
    the data cannot be had.
    """
    local = settings.RECOTEM_SAMPLE_DATA_DIR
    if local:
        directory = Path(local)
        if not _complete(directory):
            raise SourceUnavailable(
                f"RECOTEM_SAMPLE_DATA_DIR={local} must be a directory holding "
                f"{' and '.join(FILES)} (an unzipped ml-100k.zip)."
            )
        return directory
    cache = Path(settings.RECOTEM_SAMPLE_CACHE_DIR)
    if not _complete(cache):
        _extract(_verified(_download(settings.RECOTEM_SAMPLE_DATA_URL)), cache)
    return cache


def _download(url: str) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_SECONDS) as answer:  # noqa: S310 - an operator's URL
            content: bytes = answer.read(MAX_ARCHIVE_BYTES + 1)
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise SourceUnavailable(
            f"MovieLens 100K could not be downloaded from {url} ({reason}); this server "
            f"may be offline. {_POINT_AT_A_COPY}"
        ) from exc
    if len(content) > MAX_ARCHIVE_BYTES:
        raise SourceUnavailable(
            f"{url} sent more than {MAX_ARCHIVE_BYTES} bytes, which is not MovieLens 100K. "
            + _POINT_AT_A_COPY
        )
    return content


def _verified(content: bytes) -> bytes:
    expected = settings.RECOTEM_SAMPLE_DATA_MD5.lower()
    # GroupLens publishes an MD5; it tells a damaged or substituted download apart.
    actual = hashlib.md5(content, usedforsecurity=False).hexdigest()
    if actual != expected:
        raise SourceUnavailable(
            f"The downloaded MovieLens 100K archive does not match its published checksum "
            f"(MD5 {actual}, expected {expected}); nothing was kept. Try again later. "
            + _POINT_AT_A_COPY
        )
    return content


def _extract(content: bytes, target: Path) -> None:
    """Write the needed files to ``target`` all at once: a partial copy never appears."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        members = {Path(name).name: name for name in archive.namelist()}
        missing = [name for name in FILES if name not in members]
        if missing:
            raise SourceUnavailable(
                f"The MovieLens 100K archive lacks {', '.join(missing)}. {_POINT_AT_A_COPY}"
            )
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=".ml-100k-"))
        for name in FILES:
            (staging / name).write_bytes(archive.read(members[name]))
    except zipfile.BadZipFile as exc:
        raise SourceUnavailable(
            f"The MovieLens 100K download is not a zip archive. {_POINT_AT_A_COPY}"
        ) from exc
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)
