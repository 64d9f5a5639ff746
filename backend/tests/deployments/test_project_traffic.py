from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from deployments.models import ConversionEvent
from tests.factories import DeploymentSlotFactory, ImpressionFactory, ProjectFactory


def _traffic(client: APIClient, project: Any) -> dict[str, Any]:
    response = client.get(f"/api/v1/project_traffic/{project.pk}/")
    assert response.status_code == 200, response.json()
    return response.json()


def _convert(slot: Any, event_type: str, when: Any) -> None:
    event = ConversionEvent.objects.create(
        project=slot.project, deployment_slot=slot, user_id="u", item_id="i", event_type=event_type
    )
    # timestamp is auto_now_add: set the day afterwards.
    ConversionEvent.objects.filter(pk=event.pk).update(timestamp=when)


def test_daily_counts_per_slot_cover_the_last_30_days(client: APIClient, project: Any) -> None:
    now = timezone.now()
    main = DeploymentSlotFactory(project=project, name="main")
    spare = DeploymentSlotFactory(project=project, name="spare", is_active=False)
    for _ in range(3):
        ImpressionFactory(deployment_slot=main, timestamp=now)
    ImpressionFactory(deployment_slot=main, timestamp=now - timedelta(days=29))
    ImpressionFactory(deployment_slot=main, timestamp=now - timedelta(days=30))  # outside
    ImpressionFactory(deployment_slot=spare, timestamp=now - timedelta(days=1))
    _convert(main, "click", now)
    _convert(main, "purchase", now)
    _convert(main, "impression", now)  # not a conversion
    _convert(spare, "click", now - timedelta(days=1))
    ImpressionFactory(deployment_slot=DeploymentSlotFactory(), timestamp=now)  # another project

    body = _traffic(client, project)
    assert len(body["dates"]) == 30
    assert body["dates"][-1] == now.date().isoformat()
    assert body["dates"][0] == (now - timedelta(days=29)).date().isoformat()
    slots = {slot["name"]: slot for slot in body["slots"]}
    assert list(slots) == ["main", "spare"]
    assert slots["main"]["impressions"][-1] == 3
    assert slots["main"]["impressions"][0] == 1
    assert sum(slots["main"]["impressions"]) == 4
    assert slots["main"]["conversions"][-1] == 2
    assert sum(slots["main"]["conversions"]) == 2
    assert slots["spare"]["impressions"][-2] == 1
    assert slots["spare"]["conversions"][-2] == 1
    assert slots["spare"]["is_active"] is False


def test_query_count_does_not_grow_with_slots_or_days(client: APIClient, project: Any) -> None:
    now = timezone.now()
    slot = DeploymentSlotFactory(project=project)
    ImpressionFactory(deployment_slot=slot, timestamp=now)
    with CaptureQueriesContext(connection) as few:
        _traffic(client, project)
    for offset in range(10):
        more = DeploymentSlotFactory(project=project)
        ImpressionFactory(deployment_slot=more, timestamp=now - timedelta(days=offset))
        _convert(more, "click", now - timedelta(days=offset))
    with CaptureQueriesContext(connection) as many:
        _traffic(client, project)
    assert len(many.captured_queries) == len(few.captured_queries)


def test_traffic_of_another_owners_project_is_not_found(client: APIClient) -> None:
    assert client.get(f"/api/v1/project_traffic/{ProjectFactory().pk}/").status_code == 404
