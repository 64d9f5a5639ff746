"""Fixtures shared by the training, tuning and realtime tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files import File

from projects.models import Project, TrainingData
from tests.factories import TrainingDataFactory


def stored_training_data(project: Project, path: Path, **fields: Any) -> TrainingData:
    """A VALID upload whose file really is in storage, as the validation task leaves it."""
    with path.open("rb") as handle:
        return TrainingDataFactory(
            project=project, basename=path.name, file=File(handle, name=path.name), **fields
        )


@pytest.fixture
def ml100k_data(project: Project, ml100k_csv: Path) -> TrainingData:
    return stored_training_data(project, ml100k_csv, n_rows=100_000, n_users=943, n_items=1682)
