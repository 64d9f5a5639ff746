"""Where a Recotem installation keeps its files when nothing else is configured.

Everything lives under one data directory, ``$RECOTEM_DATA_DIR`` or ``data/`` at the top
of the checkout: the embedded SQLite database, which the backend writes and the inference
service reads, and the media directory of uploads and model files, unless
``DATABASE_URL`` or ``MEDIA_ROOT`` say otherwise. ``make run``, the backend and the
inference service all take their defaults from here.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

DATA_DIR_VARIABLE = "RECOTEM_DATA_DIR"
# This file is common/recotem_common/paths.py: two levels below the top of the checkout.
DEFAULT_DATA_DIR = Path(__file__).resolve().parents[2] / "data"
SQLITE_FILE_NAME = "recotem.sqlite3"
MEDIA_DIR_NAME = "media"


def data_dir(environ: Mapping[str, str] = os.environ) -> Path:
    return Path(environ.get(DATA_DIR_VARIABLE) or DEFAULT_DATA_DIR).resolve()


def sqlite_path(data_dir: Path) -> Path:
    return data_dir / SQLITE_FILE_NAME


def media_root(data_dir: Path) -> Path:
    return data_dir / MEDIA_DIR_NAME
