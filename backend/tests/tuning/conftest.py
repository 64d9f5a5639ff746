from __future__ import annotations

from typing import Any

import pytest

from projects.models import TrainingData
from tests.factories import EvaluationConfigFactory, ParameterTuningJobFactory, SplitConfigFactory
from tuning.models import ParameterTuningJob


@pytest.fixture
def make_job(ml100k_data: TrainingData) -> Any:
    """A PENDING job on MovieLens 100K owned by the project's owner."""

    def make(**fields: Any) -> ParameterTuningJob:
        owner = ml100k_data.project.owner
        fields.setdefault("split", SplitConfigFactory(created_by=owner))
        fields.setdefault("evaluation", EvaluationConfigFactory(created_by=owner))
        job: ParameterTuningJob = ParameterTuningJobFactory(data=ml100k_data, **fields)
        return job

    return make
