"""The MovieLens 100K sample project: a working recommender without preparing data.

``sample_project_create`` builds, in one request, a project with the ratings as training
data and the movies as item metadata (both validated on the spot), a short tuning job
that trains its best model, and a predict key; when that model is trained, the receiver
in ``projects.receivers`` deploys it to the slot named ``production``.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from accounts.models import ApiKey
from accounts.services import api_key_create
from deployments.services import deployment_slot_create
from projects import sample_data
from projects.models import ItemMetaData, Project, SampleProject, TrainingData
from projects.services import (
    item_meta_data_create,
    item_meta_data_validate,
    project_create,
    training_data_create,
    training_data_validate,
)
from recotem_common.api_keys import SCOPE_PREDICT
from training.models import TrainedModel
from tuning.models import EvaluationConfig, ParameterTuningJob, SplitConfig
from tuning.services import tuning_job_create

SAMPLE_NAME = "MovieLens 100K sample"
SLOT_NAME = "production"
KEY_NAME = "sample predict key"
GENRES = (
    "unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime",
    "Documentary", "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery",
    "Romance", "Sci-Fi", "Thriller", "War", "Western",
)  # fmt: skip
# A short search: a few trials of fast algorithms, enough for sensible recommendations.
TUNING_TRIALS = 6
TUNING_ALGORITHMS = ["TopPop", "CosineKNN", "RP3beta"]
TUNING_STEP_SECONDS = 60
TUNING_SECONDS = 90


@dataclass(frozen=True)
class Sample:
    project: Project
    training_data: TrainingData
    item_meta_data: ItemMetaData
    tuning_job: ParameterTuningJob
    api_key: ApiKey
    raw_key: str


def _ratings_csv(directory: Path) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["user_id", "item_id", "rating", "timestamp"])
    with (directory / "u.data").open(encoding="latin-1") as source:
        writer.writerows(line.split() for line in source if line.strip())
    return out.getvalue().encode()


def _release_date(text: str) -> str | None:
    """``01-Jan-1995`` as ISO 8601; None when the movie has none."""
    return datetime.strptime(text, "%d-%b-%Y").date().isoformat() if text else None


def _movies_jsonl(directory: Path) -> bytes:
    rows = []
    with (directory / "u.item").open(encoding="latin-1") as source:
        for line in source:
            if not line.strip():
                continue
            columns = line.rstrip("\n").split("|")
            flags = columns[5:]
            rows.append(
                {
                    "item_id": columns[0],
                    "title": columns[1],
                    "release_date": _release_date(columns[2]),
                    "genres": [g for g, flag in zip(GENRES, flags, strict=True) if flag == "1"],
                }
            )
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows).encode()


def _free_name(owner: Any) -> str:
    taken = set(Project.objects.filter(owner=owner).values_list("name", flat=True))
    number = 1
    name = SAMPLE_NAME
    while name in taken:
        number += 1
        name = f"{SAMPLE_NAME} ({number})"
    return name


def sample_project_create(*, owner: Any) -> Sample:
    """Build the sample project for ``owner``; the key's secret is returned only here."""
    directory = sample_data.movielens_dir()
    ratings, movies = _ratings_csv(directory), _movies_jsonl(directory)
    with transaction.atomic():
        project = project_create(
            owner=owner, name=_free_name(owner), user_column="user_id", item_column="item_id"
        )
        data = training_data_create(
            project=project,
            file=SimpleUploadedFile("movielens-100k-ratings.csv", ratings),
            queue=False,
        )
        metadata = item_meta_data_create(
            project=project,
            file=SimpleUploadedFile("movielens-100k-movies.jsonl", movies),
            queue=False,
        )
        training_data_validate(training_data_id=data.pk)
        item_meta_data_validate(item_meta_data_id=metadata.pk)
        data.refresh_from_db()
        metadata.refresh_from_db()
        job = tuning_job_create(
            data=data,
            split=SplitConfig.objects.create(created_by=owner, name=SAMPLE_NAME),
            evaluation=EvaluationConfig.objects.create(created_by=owner, name=SAMPLE_NAME),
            n_trials=TUNING_TRIALS,
            tried_algorithms_json=TUNING_ALGORITHMS,
            timeout_singlestep=TUNING_STEP_SECONDS,
            timeout_overall=TUNING_SECONDS,
            random_seed=42,
        )
        SampleProject.objects.create(project=project, tuning_job=job)
        api_key, raw_key = api_key_create(
            owner=owner, project=project, name=KEY_NAME, scopes=[SCOPE_PREDICT]
        )
    return Sample(project, data, metadata, job, api_key, raw_key)


def sample_model_deploy(*, model: TrainedModel) -> None:
    """Deploy a sample project's tuned model to its ``production`` slot, once."""
    sample = (
        SampleProject.objects.select_related("project")
        .filter(tuning_job__tuned_model=model)
        .first()
    )
    if sample is None or sample.project.deployment_slots.filter(name=SLOT_NAME).exists():
        return
    deployment_slot_create(project=sample.project, name=SLOT_NAME, trained_model=model)


def example_request(*, site: str, project_id: int, raw_key: str) -> str:
    """A ready-to-run request for the sample's recommendations, with titles, through
    the proxy at ``site`` (which serves the inference service under /inference/)."""
    body = json.dumps({"user_id": "1", "cutoff": 5, "fields": ["title", "genres"]})
    return (
        f"curl -s -X POST {site.rstrip('/')}/inference/predict/project/{project_id} "
        f"-H 'X-API-Key: {raw_key}' -H 'Content-Type: application/json' -d '{body}'"
    )
