"""Remove the reaper's beat row that 0003 used to create.

It named the task by its old module path, which no worker registers any more. Beat
installs the reapers from ``recotem/celery.py`` when it starts, so every installation
ends up with exactly one row per reaper.
"""

from django.db import migrations

LEGACY_ROW = "tuning: fail stalled jobs"


def remove_legacy_row(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name=LEGACY_ROW, task="tuning.tasks.reap_stalled_jobs").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("tuning", "0003_reaper_schedule"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(remove_legacy_row, migrations.RunPython.noop)]
