from __future__ import annotations

import datetime
import uuid

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from accounts.models import ApiKey
from accounts.services import api_key_create
from core.models import JobStatus
from deployments.models import ABTest, DeploymentSlot, Impression
from projects.models import Project, TrainingData, ValidationStatus
from training.models import ModelConfiguration, TrainedModel
from tuning.models import EvaluationConfig, ParameterTuningJob, SplitConfig

DEFAULT_PASSWORD = "correct-horse-battery-staple-42"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", DEFAULT_PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):  # noqa: N805
        if create:
            obj.save()


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project

    owner = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"project {n}")
    user_column = "user_id"
    item_column = "item_id"
    time_column = "timestamp"


class TrainingDataFactory(factory.django.DjangoModelFactory):
    """A validated upload, without a stored file unless a test gives one."""

    class Meta:
        model = TrainingData

    project = factory.SubFactory(ProjectFactory)
    basename = "interactions.csv"
    file_format = "csv"
    validation_status = ValidationStatus.VALID
    n_rows = 1000
    n_users = 100
    n_items = 50


class ModelConfigurationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ModelConfiguration

    project = factory.SubFactory(ProjectFactory)
    name = factory.Sequence(lambda n: f"config {n}")
    recommender_class_name = "TopPopRecommender"
    parameters_json = factory.LazyFunction(dict)


class TrainedModelFactory(factory.django.DjangoModelFactory):
    """A COMPLETED model of a project (``project=`` picks the project for both parents)."""

    class Meta:
        model = TrainedModel

    class Params:
        project = factory.SubFactory(ProjectFactory)

    configuration = factory.SubFactory(
        ModelConfigurationFactory, project=factory.SelfAttribute("..project")
    )
    data_loc = factory.SubFactory(TrainingDataFactory, project=factory.SelfAttribute("..project"))
    status = JobStatus.COMPLETED


class DeploymentSlotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DeploymentSlot

    project = factory.SubFactory(ProjectFactory)
    name = factory.Sequence(lambda n: f"slot {n}")
    trained_model = factory.SubFactory(
        TrainedModelFactory, project=factory.SelfAttribute("..project")
    )
    weight = 50.0
    is_active = True


class ABTestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ABTest

    project = factory.SubFactory(ProjectFactory)
    name = factory.Sequence(lambda n: f"test {n}")
    control_slot = factory.SubFactory(
        DeploymentSlotFactory, project=factory.SelfAttribute("..project")
    )
    variant_slot = factory.SubFactory(
        DeploymentSlotFactory, project=factory.SelfAttribute("..project")
    )
    min_sample_size = 100


class ImpressionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Impression

    deployment_slot = factory.SubFactory(DeploymentSlotFactory)
    project = factory.SelfAttribute("deployment_slot.project")
    trained_model_id = factory.SelfAttribute("deployment_slot.trained_model_id")
    request_id = factory.LazyFunction(uuid.uuid4)
    user_id = factory.Sequence(lambda n: f"u{n}")
    item_ids = factory.LazyFunction(lambda: ["i1", "i2"])
    timestamp = factory.LazyFunction(timezone.now)


def issue_api_key(
    *,
    project: Project | None = None,
    scopes: tuple[str, ...] = ("read",),
    name: str | None = None,
    expires_at: datetime.datetime | None = None,
) -> tuple[ApiKey, str]:
    """An API key issued by the real service, with its secret (for ``X-API-Key``)."""
    project = project or ProjectFactory()
    return api_key_create(
        owner=project.owner,
        project=project,
        name=name or f"key {uuid.uuid4().hex[:8]}",
        scopes=scopes,
        expires_at=expires_at,
    )


class SplitConfigFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SplitConfig

    created_by = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"split {n}")
    scheme = SplitConfig.SplitScheme.RANDOM
    heldout_ratio = 0.2
    test_user_ratio = 0.2


class EvaluationConfigFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EvaluationConfig

    created_by = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"evaluation {n}")
    cutoff = 10
    target_metric = EvaluationConfig.TargetMetric.NDCG


class ParameterTuningJobFactory(factory.django.DjangoModelFactory):
    """A job row only (no tasks are queued); ``data`` decides the owner of the configs."""

    class Meta:
        model = ParameterTuningJob

    data = factory.SubFactory(TrainingDataFactory)
    split = factory.SubFactory(
        SplitConfigFactory, created_by=factory.SelfAttribute("..data.project.owner")
    )
    evaluation = factory.SubFactory(
        EvaluationConfigFactory, created_by=factory.SelfAttribute("..data.project.owner")
    )
    n_trials = 4
    tried_algorithms_json = factory.LazyFunction(lambda: ["TopPop", "RP3beta"])
