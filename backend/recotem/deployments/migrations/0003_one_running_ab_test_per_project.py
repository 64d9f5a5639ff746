from typing import Any

from django.db import migrations, models
from django.utils import timezone


def cancel_all_but_the_oldest_running_test(apps: Any, schema_editor: Any) -> None:
    """Where several tests ran in one project, the oldest (lowest id) is the one both
    services route by from now on; the later ones got no traffic and are cancelled."""
    ab_test = apps.get_model("deployments", "ABTest")
    kept: set[int] = set()
    for test in ab_test.objects.filter(status="RUNNING").order_by("id"):
        if test.project_id in kept:
            test.status = "CANCELLED"
            test.ended_at = timezone.now()
            test.save(update_fields=["status", "ended_at"])
        kept.add(test.project_id)


class Migration(migrations.Migration):
    dependencies = [
        ("deployments", "0002_ab_test_sequential_p_value"),
        ("projects", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(cancel_all_but_the_oldest_running_test, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="abtest",
            constraint=models.UniqueConstraint(
                condition=models.Q(("status", "RUNNING")),
                fields=("project",),
                name="one_running_ab_test_per_project",
            ),
        ),
    ]
