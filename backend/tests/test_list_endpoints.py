"""Every list endpoint the web UI calls reads a page in a fixed number of SQL queries,
whatever the page holds, and builds a page of 100 out of 10,000 rows within 100 ms."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from core.models import JobStatus
from projects.models import ItemMetaData, Project, TrainingData, ValidationStatus
from tests.factories import (
    EvaluationConfigFactory,
    ModelConfigurationFactory,
    ProjectFactory,
    SplitConfigFactory,
    TrainingDataFactory,
    UserFactory,
)
from training.models import ModelConfiguration, TrainedModel
from tuning.models import EvaluationConfig, ParameterTuningJob, SplitConfig

pytestmark = pytest.mark.django_db

# Each builder adds `n` rows, numbered from `start`, that `owner` may list.
Builder = Callable[[Any, int, int], None]


def _project(owner: Any) -> Project:
    return Project.objects.filter(owner=owner).first() or ProjectFactory(owner=owner)


def _data(owner: Any) -> TrainingData:
    return TrainingData.objects.filter(project__owner=owner).first() or TrainingDataFactory(
        project=_project(owner)
    )


def _projects(owner: Any, start: int, n: int) -> None:
    Project.objects.bulk_create(
        Project(owner=owner, name=f"p{i}", user_column="u", item_column="i")
        for i in range(start, start + n)
    )


def _uploads(model: type[TrainingData] | type[ItemMetaData]) -> Builder:
    def build(owner: Any, start: int, n: int) -> None:
        project = _project(owner)
        model.objects.bulk_create(
            model(project=project, basename=f"f{i}.csv", validation_status=ValidationStatus.VALID)
            for i in range(start, start + n)
        )

    return build


def _configurations(owner: Any, start: int, n: int) -> None:
    project = _project(owner)
    ModelConfiguration.objects.bulk_create(
        ModelConfiguration(
            project=project, name=f"c{i}", recommender_class_name="TopPopRecommender"
        )
        for i in range(start, start + n)
    )


def _models(owner: Any, start: int, n: int) -> None:
    data = _data(owner)
    configuration = ModelConfigurationFactory(project=data.project)
    TrainedModel.objects.bulk_create(
        TrainedModel(configuration=configuration, data_loc=data, status=JobStatus.COMPLETED)
        for _ in range(n)
    )


def _jobs(owner: Any, start: int, n: int) -> None:
    data = _data(owner)
    split = SplitConfigFactory(created_by=owner)
    evaluation = EvaluationConfigFactory(created_by=owner)
    ParameterTuningJob.objects.bulk_create(
        ParameterTuningJob(data=data, split=split, evaluation=evaluation) for _ in range(n)
    )


def _splits(owner: Any, start: int, n: int) -> None:
    SplitConfig.objects.bulk_create(
        SplitConfig(created_by=owner, name=f"s{i}") for i in range(start, start + n)
    )


def _evaluations(owner: Any, start: int, n: int) -> None:
    EvaluationConfig.objects.bulk_create(
        EvaluationConfig(created_by=owner, name=f"e{i}") for i in range(start, start + n)
    )


def _users(owner: Any, start: int, n: int) -> None:
    User.objects.bulk_create(User(username=f"listed-{i}") for i in range(start, start + n))


# The lists as the pages ask for them (web UI: frontend/src/features/*/queries.ts).
ENDPOINTS: dict[str, Builder] = {
    "/api/v1/project/?ordering=-updated_at": _projects,
    "/api/v1/training_data/?ordering=-ins_datetime": _uploads(TrainingData),
    "/api/v1/item_meta_data/?ordering=-ins_datetime": _uploads(ItemMetaData),
    "/api/v1/model_configuration/?ordering=-ins_datetime": _configurations,
    "/api/v1/trained_model/?ordering=-ins_datetime": _models,
    "/api/v1/parameter_tuning_job/?ordering=-ins_datetime": _jobs,
    "/api/v1/split_config/?ordering=-ins_datetime": _splits,
    "/api/v1/evaluation_config/?ordering=-ins_datetime": _evaluations,
    "/api/v1/users/?ordering=username": _users,
}
PAGE = 100
ROWS = 10_000
BUDGET_SECONDS = 0.1


@pytest.fixture
def admin_client() -> tuple[APIClient, Any]:
    # An administrator: the users list is theirs only, the other lists answer the same.
    admin = UserFactory(is_staff=True, is_superuser=True)
    client = APIClient()
    client.force_authenticate(admin)
    return client, admin


def _queries(client: APIClient, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(f"{url}&page_size={PAGE}")
    assert response.status_code == 200, response.json()
    return len(captured.captured_queries)


@pytest.mark.parametrize("url", ENDPOINTS)
def test_a_page_costs_the_same_queries_with_few_rows_or_many(
    url: str, admin_client: tuple[APIClient, Any]
) -> None:
    client, owner = admin_client
    ENDPOINTS[url](owner, 0, 2)
    few = _queries(client, url)

    ENDPOINTS[url](owner, 2, 60)

    assert _queries(client, url) == few


@pytest.mark.slow
@pytest.mark.parametrize("url", ENDPOINTS)
def test_a_page_of_100_out_of_10000_is_built_within_100_ms(
    url: str, admin_client: tuple[APIClient, Any]
) -> None:
    client, owner = admin_client
    ENDPOINTS[url](owner, 0, ROWS)
    client.get(f"{url}&page_size={PAGE}")  # warm: URL resolution, serializers, plans

    timings = []
    for page in (1, 50, 100, 1, 50):
        # CPU time of this process (the API's own work; the queries are counted above):
        # wall time on a shared machine mostly measures the machine's other work.
        started = time.process_time()
        response = client.get(f"{url}&page_size={PAGE}&page={page}")
        timings.append(time.process_time() - started)
        assert response.status_code == 200
        assert len(response.json()["results"]) == PAGE
    assert min(timings) <= BUDGET_SECONDS, f"{url}: {[round(t * 1000) for t in timings]} ms"
