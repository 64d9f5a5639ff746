"""Retraining schedules fire the task by its new name, ``retraining.fire_schedule``.

Every task now has an explicit ``<app>.<function>`` name (``core.tasks.TaskName``); the
beat rows that retraining schedules own still named the old, module-path one.
"""

from django.db import migrations

OLD_NAME = "retraining.tasks.scheduled_retrain"
NEW_NAME = "retraining.fire_schedule"


def rename(apps, schema_editor, old=OLD_NAME, new=NEW_NAME):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(task=old).update(task=new)


def rename_back(apps, schema_editor):
    rename(apps, schema_editor, old=NEW_NAME, new=OLD_NAME)


class Migration(migrations.Migration):
    dependencies = [
        ("retraining", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(rename, rename_back)]
