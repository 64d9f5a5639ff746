import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "recotem.settings")

app = Celery("recotem")
app.config_from_object("django.conf:settings", namespace="CELERY")


def _task_apps() -> list[str]:
    # Read lazily: settings are configured only once Django is set up.
    from django.conf import settings

    return list(settings.CELERY_TASK_APPS or settings.INSTALLED_APPS)


app.autodiscover_tasks(_task_apps)
