"""Once registered the reaper with beat; the periodic tasks are now declared in code
(``recotem/celery.py``) and installed by beat itself, so this does nothing any more.
0004 removes the row it created on installations that ran it."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("tuning", "0002_job_progress"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(migrations.RunPython.noop, migrations.RunPython.noop)]
