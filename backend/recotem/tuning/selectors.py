from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tuning import study as studies
from tuning.models import ParameterTuningJob

if TYPE_CHECKING:
    from optuna.trial import FrozenTrial


def trial_algorithm_and_params(trial: FrozenTrial) -> tuple[str, dict[str, Any]]:
    """Optuna stores ``IALS.n_components``; callers want ``IALS`` and ``n_components``."""
    algorithm = str(trial.params.get(studies.ALGORITHM_PARAM, ""))
    prefix = f"{algorithm}."
    params = {
        name.removeprefix(prefix): value
        for name, value in trial.params.items()
        if name != studies.ALGORITHM_PARAM
    }
    return algorithm, params


def trial_record(trial: FrozenTrial) -> dict[str, Any]:
    record: dict[str, Any] = trial.user_attrs.get(studies.TRIAL_RECORD, {})
    return record


def trial_summary(trial: FrozenTrial) -> dict[str, Any]:
    algorithm, params = trial_algorithm_and_params(trial)
    record = trial_record(trial)
    duration = record.get("fit_seconds")
    if duration is None and trial.datetime_start and trial.datetime_complete:
        duration = (trial.datetime_complete - trial.datetime_start).total_seconds()
    return {
        "number": trial.number,
        "algorithm": algorithm,
        "params": params,
        "score": trial.value if trial.state.name == "COMPLETE" else None,
        "state": trial.state.name,
        "duration_seconds": duration,
        "worker": record.get("worker"),
        "scores": record.get("scores", {}),
        "message": record.get("failure", ""),
        "split_sha256": record.get("split_sha256"),
    }


def tuning_job_trials(*, job: ParameterTuningJob) -> list[dict[str, Any]]:
    """Every trial of the job's study, in trial order (empty before the study exists)."""
    with studies.reading_storage() as rdb:
        study = studies.find_study(rdb, job=job)
        if study is None:
            return []
        return [trial_summary(trial) for trial in study.get_trials(deepcopy=False)]


def tuning_job_status_payload(
    *, job: ParameterTuningJob, last_trial: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {
        "type": "status",
        "job_id": job.pk,
        "status": job.status,
        "n_trials_finished": job.n_trials_finished,
        "n_trials": job.n_trials,
        "best_score": job.best_score,
        "best_algorithm": job.best_algorithm or None,
        "error_message": job.error_message,
        "tuned_model": job.tuned_model_id,
        "best_config": job.best_config_id,
        "last_trial": last_trial,
    }
