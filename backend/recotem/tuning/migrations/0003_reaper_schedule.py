"""Schedule the reaper of stalled tuning jobs with django-celery-beat.

Beat runs the DatabaseScheduler, whose schedule lives in these tables; a row created
here is picked up without any settings change and stays editable in the admin.
"""

from django.db import migrations

TASK_NAME = "tuning: fail stalled jobs"
TASK_PATH = "tuning.tasks.reap_stalled_jobs"


def create_schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_minute, _ = IntervalSchedule.objects.get_or_create(every=1, period="minutes")
    PeriodicTask.objects.update_or_create(
        name=TASK_NAME,
        defaults={"task": TASK_PATH, "interval": every_minute, "enabled": True},
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("tuning", "0002_job_progress"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
