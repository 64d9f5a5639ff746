"""Starting the work of a retraining run: a tuning job or a trained model.

Apart from the rest of retraining because it creates those through the tuning and
training services, which load the machine-learning stack; the rest of retraining is
loaded by every process, the lean ingestion worker included (its receivers connect when
Django starts), and must not pull that stack in.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from core.exceptions import ApplicationError, ValidationFailed
from retraining.models import RetrainingRun
from retraining.selectors import latest_valid_training_data
from retraining.services import retraining_run_finish, retraining_run_retry_or_fail
from training.services import trained_model_create
from tuning.services import tuning_job_create


def retraining_run_execute(*, run_id: int) -> None:
    """Start the work of a run: skip unchanged data, otherwise retune or retrain.

    The run finishes in ``retraining_runs_settle`` (services) when the model it produced (or the
    tuning job that should have produced one) reaches a final state.
    """
    with transaction.atomic():
        run = RetrainingRun.objects.select_for_update().select_related("schedule").get(pk=run_id)
        if run.status not in (RetrainingRun.Status.PENDING,):
            return
        schedule = run.schedule
        data = schedule.training_data or latest_valid_training_data(project=schedule.project)
        run.attempt += 1
        run.started_at = run.started_at or timezone.now()
        if data is None:
            retraining_run_finish(
                run=run,
                status=RetrainingRun.Status.FAILED,
                message="The project has no valid training data.",
            )
            return
        run.data_rows_at_trigger = data.n_rows
        run.data_fingerprint = data.fingerprint
        if data.fingerprint and data.fingerprint == schedule.last_data_fingerprint:
            retraining_run_finish(
                run=run,
                status=RetrainingRun.Status.SKIPPED,
                message="The training data has not changed.",
            )
            return
        run.status = RetrainingRun.Status.RUNNING
        try:
            if schedule.retune:
                if schedule.split_config is None or schedule.evaluation_config is None:
                    raise ValidationFailed("The split or evaluation configuration was deleted.")
                run.tuning_job = tuning_job_create(
                    data=data,
                    split=schedule.split_config,
                    evaluation=schedule.evaluation_config,
                    n_trials=schedule.n_trials,
                    train_after_tuning=True,
                )
            else:
                if schedule.model_configuration is None:
                    raise ValidationFailed("The model configuration was deleted.")
                run.trained_model = trained_model_create(
                    configuration=schedule.model_configuration, data=data
                )
        except ApplicationError as error:
            retraining_run_retry_or_fail(run=run, message=error.message)
            return
        run.save()
