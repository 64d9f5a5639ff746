"""Every task by one naming rule, routed by its name, and the periodic tasks declared in
code and installed by beat itself."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django_celery_beat.models import IntervalSchedule, PeriodicTask
from django_celery_beat.schedulers import DatabaseScheduler

from core.tasks import TaskName
from recotem.celery import app as celery_app
from retraining.services import retraining_schedule_create
from tests.factories import ModelConfigurationFactory

APPS_DIR = Path(__file__).resolve().parents[1] / "recotem"
OUR_APPS = ("projects", "tuning", "training", "retraining")
REAPERS = {
    "tuning: fail stalled jobs": "tuning.reap_stalled_jobs",
    "training: fail stalled models": "training.reap_stalled_models",
    "projects: fail stalled validations": "projects.reap_stalled_uploads",
}


@pytest.fixture(scope="module")
def registered() -> dict[str, object]:
    """The tasks a worker that loads every app registers."""
    celery_app.loader.import_default_modules()
    return {name: task for name, task in celery_app.tasks.items() if name.startswith(OUR_APPS)}


def test_every_task_is_named_after_its_app_and_function(registered: dict[str, object]) -> None:
    assert set(registered) == set(TaskName)
    for name, task in registered.items():
        run = task.run  # type: ignore[attr-defined]
        app_label = run.__module__.split(".")[0]
        assert name == f"{app_label}.{run.__name__}"
        assert run.__module__ == f"{app_label}.tasks"


@pytest.mark.parametrize("name", list(TaskName))
def test_upload_validation_alone_goes_to_the_ingestion_queue(name: TaskName) -> None:
    queue = celery_app.amqp.router.route({}, str(name))["queue"].name

    assert queue == ("ingestion" if name.startswith("projects.") else "celery")


def test_every_periodic_task_runs_a_registered_task(registered: dict[str, object]) -> None:
    declared = {name: entry["task"] for name, entry in celery_app.conf.beat_schedule.items()}

    assert declared == REAPERS
    assert set(declared.values()) <= set(registered)


def _installed_by_beat() -> list[tuple[str, str]]:
    DatabaseScheduler(app=celery_app)
    rows = PeriodicTask.objects.exclude(task__startswith="celery.").order_by("name")
    return [(row.name, row.task) for row in rows]


@pytest.mark.django_db(transaction=True)
def test_an_upgraded_installation_ends_with_one_schedule_per_reaper() -> None:
    call_command("migrate", "tuning", "0003", verbosity=0)
    # The row the reaper's data migration created before the schedule moved into code.
    PeriodicTask.objects.create(
        name="tuning: fail stalled jobs",
        task="tuning.tasks.reap_stalled_jobs",
        interval=IntervalSchedule.objects.create(every=1, period=IntervalSchedule.MINUTES),
    )
    call_command("migrate", verbosity=0)

    assert _installed_by_beat() == sorted(REAPERS.items())
    # Restarting beat changes nothing.
    assert _installed_by_beat() == sorted(REAPERS.items())


@pytest.mark.django_db(transaction=True)
def test_an_upgraded_installation_keeps_its_retraining_schedules_firing(project: object) -> None:
    configuration = ModelConfigurationFactory(project=project)
    schedule = retraining_schedule_create(
        project=project, is_enabled=True, model_configuration=configuration
    )
    call_command("migrate", "retraining", "0001", verbosity=0)
    PeriodicTask.objects.filter(pk=schedule.periodic_task_id).update(
        task="retraining.tasks.scheduled_retrain"
    )
    call_command("migrate", verbosity=0)

    row = PeriodicTask.objects.get(pk=schedule.periodic_task_id)
    assert row.task == TaskName.FIRE_RETRAINING_SCHEDULE
    assert json.loads(row.args) == [schedule.pk]


def test_the_ingestion_worker_loads_no_machine_learning_library(tmp_path: Path) -> None:
    """Upload validation has its own lean worker (docs/benchmarks.md): starting Django and
    its task modules must not pull in what tuning and training need."""
    program = (
        "import sys, django; django.setup(); "
        "from recotem.celery import app; app.loader.import_default_modules(); "
        "print(sorted(m for m in ('irspack', 'optuna', 'pandas', 'scipy', 'numba', 'sklearn') "
        "if m in sys.modules))"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "recotem.settings",
        # As make run starts it: its own apps' tasks, and no system checks (they import
        # every URLconf, and with it every app's views).
        "CELERY_TASK_APPS": "projects",
        "CELERY_SKIP_CHECKS": "1",
        "RECOTEM_DATA_DIR": str(tmp_path),
    }
    env.pop("DATABASE_URL", None)
    result = subprocess.run(
        [sys.executable, "-c", program],
        cwd=APPS_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )

    assert result.stdout.strip() == "[]"
