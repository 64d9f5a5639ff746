import os
from datetime import timedelta

from celery import Celery

from core.tasks import TaskName

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "recotem.settings")

app = Celery("recotem")
app.config_from_object("django.conf:settings", namespace="CELERY")

# Every periodic task of the platform, installed by beat (DatabaseScheduler) into its
# table when it starts, under these names; retraining schedules add their own rows.
REAPER_INTERVAL = timedelta(minutes=1)
app.conf.beat_schedule = {
    "tuning: fail stalled jobs": {
        "task": TaskName.REAP_STALLED_TUNING_JOBS,
        "schedule": REAPER_INTERVAL,
    },
    "training: fail stalled models": {
        "task": TaskName.REAP_STALLED_MODELS,
        "schedule": REAPER_INTERVAL,
    },
    "projects: fail stalled validations": {
        "task": TaskName.REAP_STALLED_UPLOADS,
        "schedule": REAPER_INTERVAL,
    },
}


def _task_apps() -> list[str]:
    # Read lazily: settings are configured only once Django is set up.
    from django.conf import settings

    return list(settings.CELERY_TASK_APPS or settings.INSTALLED_APPS)


app.autodiscover_tasks(_task_apps)
