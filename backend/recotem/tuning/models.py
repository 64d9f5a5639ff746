from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q, QuerySet

from accounts.models import ApiKey
from core.limits import DEFAULT_TRIALS, MAX_RANDOM_SEED, MAX_TASKS_PARALLEL, MAX_TRIALS
from core.models import JobStatus, TimeStampedModel
from recotem_common.limits import MAX_CUTOFF

if TYPE_CHECKING:
    from accounts.models import ApiKey

# What a job's configurations may need, in MB, before they are skipped unfitted.
DEFAULT_MEMORY_BUDGET_MB = 8000


class _TuningConfig(TimeStampedModel):
    """A split or evaluation configuration: owned by a user, shared by their projects.

    Once a tuning job used it, it is part of that job's record and read-only
    (``tuning.services.config_require_unused``). A request with an API key sees the
    configurations jobs of its project used, plus its owner's that no job used yet;
    never those recorded on other projects' jobs.
    """

    OWNER_PATH = "created_by"
    # The ParameterTuningJob field that refers to this kind of configuration.
    JOB_FIELD: ClassVar[str]

    class Meta(TimeStampedModel.Meta):
        abstract = True

    @classmethod
    def visible_to_api_key(cls, queryset: QuerySet[Any], api_key: ApiKey) -> QuerySet[Any]:
        jobs = ParameterTuningJob.objects.values(cls.JOB_FIELD)
        mine = jobs.filter(data__project_id=api_key.project_id)
        return queryset.filter(
            Q(pk__in=mine) | (Q(created_by_id=api_key.owner_id) & ~Q(pk__in=jobs))
        )


class SplitConfig(_TuningConfig):
    JOB_FIELD = "split"

    class SplitScheme(models.TextChoices):
        RANDOM = "RG", "Random"
        TIME_GLOBAL = "TG", "Time Global"
        TIME_USER = "TU", "Time User"

    name = models.CharField(max_length=256, null=True, blank=True)  # noqa: DJ001 - kept nullable like the reference API
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    scheme = models.CharField(choices=SplitScheme.choices, max_length=2, default=SplitScheme.RANDOM)
    heldout_ratio = models.FloatField(
        default=0.1, validators=[MinValueValidator(0.0), MaxValueValidator(1.0)]
    )
    n_heldout = models.IntegerField(null=True, blank=True, validators=[MinValueValidator(1)])
    test_user_ratio = models.FloatField(
        default=1.0, validators=[MinValueValidator(0.0), MaxValueValidator(1.0)]
    )
    n_test_users = models.IntegerField(null=True, blank=True, validators=[MinValueValidator(1)])
    random_seed = models.BigIntegerField(
        default=42, validators=[MinValueValidator(0), MaxValueValidator(MAX_RANDOM_SEED)]
    )

    def __str__(self) -> str:
        return self.name or f"split #{self.pk}"


class EvaluationConfig(_TuningConfig):
    JOB_FIELD = "evaluation"

    class TargetMetric(models.TextChoices):
        NDCG = "ndcg", "Normalized discounted cumulative gain"
        MAP = "map", "Mean average precision"
        RECALL = "recall", "Recall"
        HIT = "hit", "Hit rate"

    name = models.CharField(max_length=256, null=True, blank=True)  # noqa: DJ001 - kept nullable like the reference API
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    cutoff = models.IntegerField(
        default=20, validators=[MinValueValidator(1), MaxValueValidator(MAX_CUTOFF)]
    )
    target_metric = models.CharField(
        choices=TargetMetric.choices, max_length=10, default=TargetMetric.NDCG
    )

    def __str__(self) -> str:
        return self.name or f"evaluation #{self.pk}"


class ParameterTuningJob(TimeStampedModel):
    OWNER_PATH = "data__project__owner"
    PROJECT_PATH = "data__project"

    data = models.ForeignKey("projects.TrainingData", on_delete=models.CASCADE)
    split = models.ForeignKey(SplitConfig, on_delete=models.PROTECT)
    evaluation = models.ForeignKey(EvaluationConfig, on_delete=models.PROTECT)
    n_tasks_parallel = models.IntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(MAX_TASKS_PARALLEL)]
    )
    n_trials = models.IntegerField(
        default=DEFAULT_TRIALS, validators=[MinValueValidator(1), MaxValueValidator(MAX_TRIALS)]
    )
    memory_budget = models.IntegerField(
        default=DEFAULT_MEMORY_BUDGET_MB, validators=[MinValueValidator(1)]
    )
    timeout_overall = models.IntegerField(null=True, blank=True, validators=[MinValueValidator(1)])
    timeout_singlestep = models.IntegerField(
        null=True, blank=True, validators=[MinValueValidator(1)]
    )
    random_seed = models.BigIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(MAX_RANDOM_SEED)],
    )
    tried_algorithms_json = models.JSONField(null=True, blank=True)
    irspack_version = models.CharField(max_length=16, null=True, blank=True)  # noqa: DJ001 - kept nullable like the reference API
    train_after_tuning = models.BooleanField(default=True)
    status = models.CharField(
        max_length=16, choices=JobStatus.choices, default=JobStatus.PENDING, db_index=True
    )
    error_message = models.TextField(blank=True, default="")
    tuned_model = models.OneToOneField(
        "training.TrainedModel",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tuning_job",
    )
    best_config = models.OneToOneField(
        "training.ModelConfiguration",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tuning_job",
    )
    best_score = models.FloatField(null=True, blank=True)
    best_algorithm = models.CharField(max_length=64, blank=True, default="")
    # Trials handed out to workers; claimed atomically so parallel workers never run
    # more than n_trials between them.
    n_trials_started = models.IntegerField(default=0)
    n_trials_finished = models.IntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    # Deliveries of the stage in progress (preparing, then finishing): a worker killed
    # (out of memory) has its task delivered again, up to MAX_TASK_DELIVERIES.
    deliveries = models.IntegerField(default=0)
    cancel_requested = models.BooleanField(default=False)
    split_file = models.CharField(max_length=512, blank=True, default="")
    task_ids = models.JSONField(default=list, blank=True)

    def __str__(self) -> str:
        return f"tuning job #{self.pk}"

    def study_name(self) -> str:
        return f"job-{self.pk}-{self.ins_datetime.isoformat()}"
