"""The backend's schema, made by the backend's own migrations, and real models trained on
MovieLens 100K. Nothing here depends on pytest."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse as sps

from recotem_common.artifact import (
    ModelArtifact,
    export_recommender,
    read_artifact,
    signing_keys,
    write_artifact,
)
from recotem_common.artifact.item_metadata import MANIFEST_KEY as ITEM_METADATA
from recotem_common.artifact.item_metadata import ItemMetadata, metadata_section

REPO_DIR = Path(__file__).resolve().parents[2]
ML100K_DIR = Path(os.environ.get("RECOTEM_ML100K_DIR", REPO_DIR.parent / "shared/datasets/ml-100k"))
BACKEND_DIR = REPO_DIR / "backend"
BACKEND_PYTHON = Path(os.environ.get("RECOTEM_BACKEND_PYTHON", BACKEND_DIR / ".venv/bin/python"))
BACKEND_TIMEOUT_SECONDS = 300


class SetupFailed(RuntimeError):
    pass


def run_backend(
    arguments: list[str],
    *,
    django_url: str,
    data_dir: Path | None,
    secret_key: str,
    environ: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run the backend's Python, set up for the database at ``django_url`` (the
    embedded SQLite file in ``data_dir``, or the default data directory, when empty),
    with the backend's apps importable; ``SetupFailed`` names what went wrong."""
    if not BACKEND_PYTHON.exists():
        raise SetupFailed(
            f"The backend's Python ({BACKEND_PYTHON}) is needed here: "
            "run `uv sync` in backend/ or set RECOTEM_BACKEND_PYTHON."
        )
    moved = ("DATABASE_URL", "RECOTEM_DATA_DIR", "MEDIA_ROOT")
    env = {k: v for k, v in (environ or os.environ).items() if k not in moved}
    env.update(
        SECRET_KEY=secret_key,
        DEBUG="false",
        DJANGO_SETTINGS_MODULE="recotem.settings",
        PYTHONPATH=str(BACKEND_DIR / "recotem"),
    )
    if data_dir is not None:
        env["RECOTEM_DATA_DIR"] = str(data_dir)
    if django_url:
        env["DATABASE_URL"] = django_url
    result = subprocess.run(
        [str(BACKEND_PYTHON), *arguments],
        env=env,
        capture_output=True,
        text=True,
        timeout=BACKEND_TIMEOUT_SECONDS,
        check=False,
    )
    if result.returncode != 0:
        raise SetupFailed(f"The backend's {' '.join(arguments)} failed:\n{result.stderr[-4000:]}")
    return result


def migrate_backend_schema(*, django_url: str, data_dir: Path, secret_key: str) -> None:
    """Create the tables with the backend's own migrations (the schema's owner)."""
    run_backend(
        [
            str(BACKEND_DIR / "recotem/manage.py"),
            "migrate",
            "--noinput",
            "--skip-checks",
        ],
        django_url=django_url,
        data_dir=data_dir,
        secret_key=secret_key,
    )


def ml100k_interactions() -> tuple[sps.csr_matrix, list[str], list[str]]:
    """MovieLens 100K as an implicit user x item matrix, with the original ids."""
    raw = np.loadtxt(ML100K_DIR / "u.data", dtype=np.int64, usecols=(0, 1))
    users, user_index = np.unique(raw[:, 0], return_inverse=True)
    items, item_index = np.unique(raw[:, 1], return_inverse=True)
    matrix = sps.csr_matrix(
        (np.ones(len(raw), dtype=np.float64), (user_index, item_index)),
        shape=(len(users), len(items)),
    )
    matrix.data[:] = 1.0
    return matrix, [str(u) for u in users], [str(i) for i in items]


ML100K_GENRES = [
    "unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime",
    "Documentary", "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery",
    "Romance", "Sci-Fi", "Thriller", "War", "Western",
]  # fmt: skip
# The described model never sees the movies after this many, so they are cold items.
DESCRIBED_ITEMS = 1650


def ml100k_item_metadata() -> ItemMetadata:
    """``u.item`` as item metadata: title, release date and genres as a list."""
    item_ids: list[str] = []
    fields: dict[str, list[Any]] = {"title": [], "release_date": [], "genres": []}
    lines = (ML100K_DIR / "u.item").read_text(encoding="latin-1").splitlines()
    for line in lines:
        columns = line.split("|")
        flags = columns[5:]
        item_ids.append(columns[0])
        fields["title"].append(columns[1])
        fields["release_date"].append(columns[2] or None)
        fields["genres"].append(
            [g for g, flag in zip(ML100K_GENRES, flags, strict=True) if flag == "1"]
        )
    return ItemMetadata(item_ids=item_ids, fields=fields)


def write_ml100k_models(media_root: Path, secret_key: str) -> dict[str, tuple[str, ModelArtifact]]:
    """Train small models on MovieLens 100K and store their signed artifacts.

    ``described`` knows only the first ``DESCRIBED_ITEMS`` movies and carries every
    movie's metadata. Returns name -> (path relative to ``media_root``, the artifact as
    read back).
    """
    import irspack

    matrix, user_ids, item_ids = ml100k_interactions()
    metadata = ml100k_item_metadata()
    described = {ITEM_METADATA: metadata_section(metadata.item_ids, metadata.fields)}
    recommenders = {
        "knn": irspack.CosineKNNRecommender(matrix, top_k=50, shrinkage=5.0),
        "knn_small": irspack.CosineKNNRecommender(matrix, top_k=5, shrinkage=50.0),
        "toppop": irspack.TopPopRecommender(matrix),
        "described": irspack.CosineKNNRecommender(
            matrix[:, :DESCRIBED_ITEMS], top_k=50, shrinkage=5.0
        ),
    }
    key = signing_keys(secret_key)[0]
    (media_root / "models").mkdir(parents=True, exist_ok=True)
    written: dict[str, tuple[str, ModelArtifact]] = {}
    for name, recommender in recommenders.items():
        recommender.learn()
        is_described = name == "described"
        artifact = export_recommender(
            recommender,
            user_ids=user_ids,
            item_ids=item_ids[:DESCRIBED_ITEMS] if is_described else item_ids,
            manifest=described if is_described else {},
        )
        data = write_artifact(artifact, key)
        path = f"models/{name}.rctm"
        (media_root / path).write_bytes(data)
        written[name] = (path, read_artifact(data, [key]))
    return written
