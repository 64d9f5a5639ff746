"""Tuning jobs: creation, the prepare and finalize steps, cancel, delete and the reaper.

A job runs as one Celery canvas queued after its row commits::

    tuning_prepare(job) -> chord([tuning_work(job, i) for i in range(n)], tuning_finalize(job))

The prepare step computes the split once and creates the Optuna study; the worker
tasks (``tuning.engine``) share both; finalize runs after every worker returned — the
workers never raise, so one failed worker cannot keep it from running — and turns the
best trial into a ModelConfiguration and, with ``train_after_tuning``, a trained model.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import irspack
from celery import chain, chord
from celery.canvas import Signature
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import DatabaseError, close_old_connections, connection, transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from optuna.trial import TrialState

from core.errors import ApplicationError, ConflictError
from core.models import ACTIVE_JOB_STATUSES, TERMINAL_JOB_STATUSES, JobStatus
from core.tasks import TaskName, queue_on_commit, task
from projects.ingestion import load_interactions
from projects.models import TrainingData
from realtime.services import job_status_send, task_log_append
from training.algorithms import (
    DEFAULT_ALGORITHMS,
    UnknownAlgorithmError,
    get_algorithm,
    resolve_algorithms,
)
from training.models import ModelConfiguration
from training.services import (
    trained_model_create,
    trained_model_train,
    training_data_require_valid,
)
from tuning import study as studies
from tuning.models import EvaluationConfig, ParameterTuningJob, SplitConfig
from tuning.selectors import (
    trial_algorithm_and_params,
    trial_record,
    tuning_job_status_payload,
)
from tuning.signals import tuning_job_finished
from tuning.splitting import SplitError, SplitSpec, compute_split, dump_split, sha256

logger = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 20
STALE_AFTER = timedelta(minutes=5)
TIME_SCHEMES = (SplitConfig.SplitScheme.TIME_GLOBAL, SplitConfig.SplitScheme.TIME_USER)


# --- logging and progress ---------------------------------------------------------------


def job_log(
    job: ParameterTuningJob,
    message: str,
    *,
    level: str = "INFO",
    task_id: str = "",
    status: dict[str, Any] | None = None,
) -> None:
    """A log line of the job, followed on its WebSocket by ``status`` when given."""
    task_log_append(
        project_id=job.data.project_id,
        tuning_job_id=job.pk,
        message=message,
        level=level,
        task_id=task_id,
        status=status,
    )


def job_status_publish(job: ParameterTuningJob) -> None:
    job_status_send(job_id=job.pk, payload=tuning_job_status_payload(job=job))


def _finish(job: ParameterTuningJob, status: str, *, error: str = "", task_id: str = "") -> None:
    job.status = status
    job.finished_at = timezone.now()
    if error:
        job.error_message = error
    job.save(update_fields=["status", "finished_at", "error_message", "updated_at"])
    job_log(
        job,
        error or f"Job {status.lower()}.",
        level="ERROR" if error else "INFO",
        task_id=task_id,
        status=tuning_job_status_payload(job=job),
    )
    tuning_job_finished.send(sender=ParameterTuningJob, job=job)


def tuning_job_record_trial(
    *, job_id: int, score: float | None, algorithm: str
) -> ParameterTuningJob:
    """Count a finished trial and keep the best score; safe with parallel workers
    because both updates are single conditional UPDATE statements. The row stays
    locked until the job is read back, so each trial reports its own count and
    progress never skips a number when two workers finish at once."""
    now = timezone.now()
    with transaction.atomic():
        jobs = ParameterTuningJob.objects.filter(pk=job_id)
        jobs.update(n_trials_finished=F("n_trials_finished") + 1, heartbeat_at=now)
        if score is not None:
            jobs.filter(Q(best_score__isnull=True) | Q(best_score__lt=score)).update(
                best_score=score, best_algorithm=algorithm
            )
        return ParameterTuningJob.objects.select_related("data").get(pk=job_id)


def tuning_job_claim_trial(*, job_id: int) -> bool:
    """Take one of the job's ``n_trials`` slots; False once they are all taken."""
    return bool(
        ParameterTuningJob.objects.filter(
            pk=job_id,
            status=JobStatus.RUNNING,
            cancel_requested=False,
            n_trials_started__lt=F("n_trials"),
        ).update(n_trials_started=F("n_trials_started") + 1)
    )


@contextmanager
def heartbeat(job_id: int) -> Iterator[None]:
    """Keep ``heartbeat_at`` fresh from a side thread while a task works on the job,
    however long a single fit or data load takes."""
    stop = threading.Event()

    def beat() -> None:
        try:
            while not stop.wait(HEARTBEAT_SECONDS):
                try:
                    ParameterTuningJob.objects.filter(pk=job_id).update(heartbeat_at=timezone.now())
                except DatabaseError:
                    logger.warning("Heartbeat of tuning job %s failed", job_id)
        finally:
            connection.close()

    thread = threading.Thread(target=beat, name=f"heartbeat-job-{job_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


# --- creation, cancel, delete -----------------------------------------------------------


def tried_algorithms_validate(names: Any) -> list[str]:
    """The job's algorithms as canonical short names (the default set when empty)."""
    if names is None or names == []:
        return list(DEFAULT_ALGORITHMS)
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise ApplicationError(
            "tried_algorithms_json must be a list of algorithm names.",
            fields={"tried_algorithms_json": ["Give a list of algorithm names."]},
        )
    try:
        return [algorithm.name for algorithm in resolve_algorithms(names)]
    except UnknownAlgorithmError as error:
        raise ApplicationError(
            str(error), fields={"tried_algorithms_json": [str(error)]}
        ) from error


def tuning_job_create(
    *,
    data: TrainingData,
    split: SplitConfig,
    evaluation: EvaluationConfig,
    n_tasks_parallel: int = 1,
    n_trials: int = 40,
    memory_budget: int = 8000,
    timeout_overall: int | None = None,
    timeout_singlestep: int | None = None,
    random_seed: int | None = None,
    tried_algorithms: Sequence[str] | None = None,
    train_after_tuning: bool = True,
) -> ParameterTuningJob:
    training_data_require_valid(data, field="data")
    if split.scheme in TIME_SCHEMES and not data.project.time_column:
        message = (
            f"The split scheme {split.scheme} orders interactions by time, but project "
            f"{data.project.name!r} has no time column. Use the random scheme (RG) or "
            "set the project's time column."
        )
        raise ApplicationError(message, fields={"split": [message]})
    algorithms = tried_algorithms_validate(list(tried_algorithms) if tried_algorithms else None)
    job = ParameterTuningJob(
        data=data,
        split=split,
        evaluation=evaluation,
        n_tasks_parallel=n_tasks_parallel,
        n_trials=n_trials,
        memory_budget=memory_budget,
        timeout_overall=timeout_overall,
        timeout_singlestep=timeout_singlestep,
        random_seed=random_seed,
        tried_algorithms_json=algorithms,
        train_after_tuning=train_after_tuning,
    )
    job.full_clean()
    job.task_ids = [str(uuid.uuid4()) for _ in range(n_tasks_parallel + 2)]
    job.save()
    job_log(job, f"Job created: {n_trials} trials over {', '.join(algorithms)}.")
    queue_on_commit(
        _canvas(job),
        # The job row is committed already: say why nothing will run it.
        on_failure=lambda error: _finish(
            job, JobStatus.FAILED, error=f"The job could not be queued: {error}"
        ),
    )
    return job


def _canvas(job: ParameterTuningJob) -> Signature:
    prepare_id, finalize_id, *worker_ids = job.task_ids
    workers = [
        task(TaskName.RUN_TUNING_TRIALS, job.pk, index, task_id=task_id, **_worker_limits(job))
        for index, task_id in enumerate(worker_ids)
    ]
    return chain(
        task(TaskName.PREPARE_TUNING_JOB, job.pk, task_id=prepare_id),
        chord(workers, task(TaskName.FINALIZE_TUNING_JOB, job.pk, task_id=finalize_id)),
    )


def _worker_limits(job: ParameterTuningJob) -> dict[str, int]:
    """A worker ends itself at the job's deadline; the Celery limits are a backstop."""
    if job.timeout_overall is None:
        return {}
    return {"soft_time_limit": job.timeout_overall + 120, "time_limit": job.timeout_overall + 240}


def tuning_job_cancel(*, job: ParameterTuningJob) -> ParameterTuningJob:
    if job.status in TERMINAL_JOB_STATUSES:
        raise ConflictError(f"The job has already ended ({job.status}).")
    ParameterTuningJob.objects.filter(pk=job.pk).update(cancel_requested=True)
    job.refresh_from_db()
    if job.status == JobStatus.PENDING:
        _finish(job, JobStatus.CANCELLED)
    else:
        job_log(job, "Cancellation requested; workers stop after their current step.")
    return job


def tuning_job_delete(*, job: ParameterTuningJob) -> None:
    if job.status in ACTIVE_JOB_STATUSES:
        raise ConflictError("The job is still running; cancel it before deleting it.")
    split_file = job.split_file
    studies.delete_study(job=job)
    job.delete()
    if split_file:
        transaction.on_commit(lambda: default_storage.delete(split_file), robust=True)


# --- prepare ----------------------------------------------------------------------------


def tuning_job_prepare(*, job_id: int, task_id: str = "") -> None:
    job = ParameterTuningJob.objects.select_related("data__project", "split", "evaluation").get(
        pk=job_id
    )
    if job.status != JobStatus.PENDING:
        return
    now = timezone.now()
    job.status = JobStatus.RUNNING
    job.started_at = job.heartbeat_at = now
    job.irspack_version = irspack.__version__
    job.save(
        update_fields=["status", "started_at", "heartbeat_at", "irspack_version", "updated_at"]
    )
    job_status_publish(job)
    job_log(job, "Loading the training data and computing the split.", task_id=task_id)
    try:
        with heartbeat(job.pk):
            _prepare_split_and_study(job, task_id=task_id)
    except (ApplicationError, SplitError) as error:
        _finish(job, JobStatus.FAILED, error=str(error), task_id=task_id)
    except Exception as error:
        logger.exception("Preparing tuning job %s failed", job.pk)
        _finish(job, JobStatus.FAILED, error=f"Preparing the job failed: {error}", task_id=task_id)


def _split_spec(split: SplitConfig) -> SplitSpec:
    return SplitSpec(
        scheme=split.scheme,
        heldout_ratio=split.heldout_ratio,
        n_heldout=split.n_heldout,
        test_user_ratio=split.test_user_ratio,
        n_test_users=split.n_test_users,
        random_seed=split.random_seed,
    )


def _prepare_split_and_study(job: ParameterTuningJob, *, task_id: str) -> None:
    project = job.data.project
    frame = load_interactions(job.data)
    split = compute_split(
        frame,
        user_column=project.user_column,
        item_column=project.item_column,
        time_column=project.time_column or None,
        spec=_split_spec(job.split),
    )
    content = dump_split(split)
    digest = sha256(content)
    name = default_storage.save(f"tuning/job-{job.pk}/split.npz", ContentFile(content))
    job.split_file = name
    job.save(update_fields=["split_file", "updated_at"])
    with studies.storage() as rdb:
        studies.create_study(
            rdb,
            job=job,
            user_attrs={
                "split_sha256": digest,
                "split_file": name,
                "algorithms": job.tried_algorithms_json,
                "cutoff": job.evaluation.cutoff,
                "target_metric": job.evaluation.target_metric,
                "n_users": int(split.X_train.shape[0]),
                "n_items": int(split.X_train.shape[1]),
                "nnz": int(split.X_train.nnz),
            },
        )
    job_log(
        job,
        f"Split ready ({job.split.get_scheme_display()}): {split.X_train.shape[0]} users, "
        f"{split.X_train.shape[1]} items, {split.X_train.nnz} training interactions, "
        f"{split.n_val_users} validation users with {split.X_val.nnz} held-out "
        f"interactions. Split file sha256 {digest[:12]}.",
        task_id=task_id,
    )


# --- finalize ---------------------------------------------------------------------------


def tuning_job_finalize(*, job_id: int, task_id: str = "") -> None:
    job = ParameterTuningJob.objects.select_related("data__project", "evaluation").get(pk=job_id)
    if job.status in TERMINAL_JOB_STATUSES:
        return
    with heartbeat(job.pk):
        try:
            _finalize(job, task_id=task_id)
        except Exception as error:
            logger.exception("Finalizing tuning job %s failed", job.pk)
            _finish(
                job, JobStatus.FAILED, error=f"Finishing the job failed: {error}", task_id=task_id
            )


def _finalize(job: ParameterTuningJob, *, task_id: str) -> None:
    with studies.storage() as rdb:
        study = studies.find_study(rdb, job=job)
        trials = [] if study is None else study.get_trials(deepcopy=False)
        for trial in trials:
            # Trials of a worker that died mid-fit would stay RUNNING forever.
            if trial.state == TrialState.RUNNING:
                record = {**trial_record(trial), "failure": "Its worker stopped."}
                rdb.set_trial_user_attr(trial._trial_id, studies.TRIAL_RECORD, record)
                rdb.set_trial_state_values(trial._trial_id, TrialState.FAIL)
    complete = [t for t in trials if t.state == TrialState.COMPLETE and t.value is not None]
    job.refresh_from_db()
    if job.cancel_requested:
        _finish(job, JobStatus.CANCELLED, task_id=task_id)
        return
    if not complete:
        reasons = Counter(trial_record(t).get("failure", t.state.name) for t in trials)
        summary = "; ".join(f"{reason} ({count}x)" for reason, count in reasons.most_common(3))
        _finish(
            job,
            JobStatus.FAILED,
            error=f"No trial finished successfully ({summary or 'no trial ran'}).",
            task_id=task_id,
        )
        return
    best = max(complete, key=lambda t: float(t.value))  # type: ignore[arg-type]
    algorithm, params = trial_algorithm_and_params(best)
    params.update(trial_record(best).get("learnt_config", {}))
    recommender = get_algorithm(algorithm)
    config, _ = ModelConfiguration.objects.update_or_create(
        project=job.data.project,
        name=f"job-{job.pk}-best",
        defaults={"recommender_class_name": recommender.class_name, "parameters_json": params},
    )
    job.best_config = config
    job.best_score = float(best.value)  # type: ignore[arg-type]
    job.best_algorithm = algorithm
    job.save(update_fields=["best_config", "best_score", "best_algorithm", "updated_at"])
    evaluation = job.evaluation
    job_log(
        job,
        f"Best trial #{best.number}: {recommender.class_name} {params} with "
        f"{evaluation.target_metric}@{evaluation.cutoff} = {job.best_score:.5f}.",
        task_id=task_id,
    )
    if job.train_after_tuning:
        _train_best(job, config, trial_record(best).get("scores", {}), task_id=task_id)
        return
    _finish(job, JobStatus.COMPLETED, task_id=task_id)


def _train_best(
    job: ParameterTuningJob,
    config: ModelConfiguration,
    validation_scores: dict[str, float],
    *,
    task_id: str,
) -> None:
    cutoff = job.evaluation.cutoff
    metrics = {f"{name}@{cutoff}": value for name, value in validation_scores.items()}
    model = trained_model_create(
        configuration=config, data=job.data, queue=False, holdout_metrics=metrics
    )
    job.tuned_model = model
    job.save(update_fields=["tuned_model", "updated_at"])
    job_log(job, f"Training {config.recommender_class_name} on all the data.", task_id=task_id)
    model = trained_model_train(model_id=model.pk, task_id=task_id, tuning_job_id=job.pk)
    if model.status != JobStatus.COMPLETED:
        _finish(
            job,
            JobStatus.FAILED,
            error=f"Training the best configuration failed: {model.error_message}",
            task_id=task_id,
        )
        return
    _finish(job, JobStatus.COMPLETED, task_id=task_id)


# --- reaper -----------------------------------------------------------------------------


def tuning_jobs_reap(
    *, now: datetime | None = None, stale_after: timedelta = STALE_AFTER
) -> list[int]:
    """Fail RUNNING jobs whose tasks stopped heartbeating (a killed worker, a lost
    message): their trials so far stay readable, only the job is closed."""
    close_old_connections()
    cutoff = (now or timezone.now()) - stale_after
    stale = ParameterTuningJob.objects.annotate(
        last_seen=Coalesce("heartbeat_at", "started_at", "ins_datetime")
    ).filter(status=JobStatus.RUNNING, last_seen__lt=cutoff)
    reaped = []
    minutes = int(stale_after.total_seconds() // 60)
    for job in stale.select_related("data"):
        updated = ParameterTuningJob.objects.filter(
            Q(heartbeat_at__isnull=True) | Q(heartbeat_at__lt=cutoff),
            pk=job.pk,
            status=JobStatus.RUNNING,
        ).update(status=JobStatus.FAILED, finished_at=timezone.now())
        if not updated:
            continue
        job.refresh_from_db()
        error = (
            f"The tuning workers stopped responding (no heartbeat for {minutes} "
            "minutes). Trials finished so far are kept."
        )
        job.error_message = error
        job.save(update_fields=["error_message", "updated_at"])
        job_log(job, error, level="ERROR", status=tuning_job_status_payload(job=job))
        tuning_job_finished.send(sender=ParameterTuningJob, job=job)
        reaped.append(job.pk)
    return reaped
