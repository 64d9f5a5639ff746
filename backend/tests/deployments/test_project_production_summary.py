from __future__ import annotations

from typing import Any

from rest_framework.test import APIClient

from deployments.models import ABTest
from retraining.models import RetrainingSchedule
from tests.factories import ABTestFactory, DeploymentSlotFactory


def test_summary_shows_schedule_slots_split_and_running_tests(
    client: APIClient, project: Any
) -> None:
    bystander = DeploymentSlotFactory(project=project, weight=60)
    DeploymentSlotFactory(project=project, weight=40, is_active=False)
    summary = client.get(f"/api/v1/project_summary/{project.pk}/").json()
    assert summary["retraining_schedule"] is None
    assert [s["traffic_share"] for s in summary["active_slots"]] == [1.0]

    test = ABTestFactory(project=project, status=ABTest.Status.RUNNING)
    test.control_slot.weight, test.variant_slot.weight = 30, 10
    test.control_slot.save()
    test.variant_slot.save()
    RetrainingSchedule.objects.create(project=project, is_enabled=True, cron_expression="0 3 * * *")

    summary = client.get(f"/api/v1/project_summary/{project.pk}/").json()
    shares = {s["id"]: s["traffic_share"] for s in summary["active_slots"]}
    assert shares == {bystander.pk: 0.0, test.control_slot_id: 0.75, test.variant_slot_id: 0.25}
    assert [t["id"] for t in summary["running_ab_tests"]] == [test.pk]
    assert summary["retraining_schedule"]["cron_description"] == "At 03:00 (UTC)"
