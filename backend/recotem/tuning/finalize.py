"""The last step of a tuning job, once every worker returned: close the trials that lost
their worker, pick the best one, store it as a ModelConfiguration and, with
``train_after_tuning``, train it on all the data."""

from __future__ import annotations

import logging
from collections import Counter

from core.models import TERMINAL_JOB_STATUSES, JobStatus
from training.algorithms import get_algorithm
from training.models import ModelConfiguration
from training.services import trained_model_create, trained_model_train
from tuning import study as studies
from tuning.models import ParameterTuningJob
from tuning.progress import heartbeat, job_log, stage_delivered_too_often, tuning_job_finish
from tuning.selectors import trial_algorithm_and_params, trial_record

logger = logging.getLogger(__name__)


def tuning_job_finalize(*, job_id: int, task_id: str = "") -> None:
    job = ParameterTuningJob.objects.select_related("data__project", "evaluation").get(pk=job_id)
    if job.status in TERMINAL_JOB_STATUSES:
        return
    # Finishing trains the best model; a model too large for the worker would otherwise
    # be trained again, as a new model, at every redelivery.
    if stage_delivered_too_often(job, stage="finishing", task_id=task_id):
        return
    with heartbeat(job.pk):
        try:
            _finalize(job, task_id=task_id)
        except Exception as error:
            logger.exception("Finalizing tuning job %s failed", job.pk)
            tuning_job_finish(
                job=job,
                status=JobStatus.FAILED,
                error=f"Finishing the job failed: {error}",
                task_id=task_id,
            )


def _finalize(job: ParameterTuningJob, *, task_id: str) -> None:
    from optuna.trial import TrialState

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
        tuning_job_finish(job=job, status=JobStatus.CANCELLED, task_id=task_id)
        return
    if not complete:
        reasons = Counter(trial_record(t).get("failure", t.state.name) for t in trials)
        summary = "; ".join(f"{reason} ({count}x)" for reason, count in reasons.most_common(3))
        tuning_job_finish(
            job=job,
            status=JobStatus.FAILED,
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
    tuning_job_finish(job=job, status=JobStatus.COMPLETED, task_id=task_id)


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
        tuning_job_finish(
            job=job,
            status=JobStatus.FAILED,
            error=f"Training the best configuration failed: {model.error_message}",
            task_id=task_id,
        )
        return
    tuning_job_finish(job=job, status=JobStatus.COMPLETED, task_id=task_id)
