from __future__ import annotations

import itertools
import random
import uuid
from datetime import timedelta
from typing import Any

from django.utils import timezone
from rest_framework.test import APIClient

from accounts.services import api_key_create
from deployments.models import ABTest, ConversionEvent
from tests.factories import ABTestFactory, DeploymentSlotFactory, ImpressionFactory

EVENTS = "/api/v1/conversion_event/"


def _convert(client: APIClient, impression: Any, event_type: str = "click") -> Any:
    return client.post(
        EVENTS,
        {"recommendation_request_id": str(impression.request_id), "event_type": event_type},
    )


def test_results_count_each_impression_once(client: APIClient, project: Any) -> None:
    test = ABTestFactory(
        project=project,
        status=ABTest.Status.RUNNING,
        started_at=timezone.now() - timedelta(hours=1),
        min_sample_size=2,
    )
    control = [ImpressionFactory(deployment_slot=test.control_slot) for _ in range(4)]
    variant = [ImpressionFactory(deployment_slot=test.variant_slot) for _ in range(2)]
    for impression in (control[0], control[0], control[1], variant[0]):
        assert _convert(client, impression).status_code == 201
    _convert(client, variant[1], "purchase")
    ImpressionFactory(
        deployment_slot=test.control_slot, timestamp=timezone.now() - timedelta(days=2)
    )

    body = client.get(f"/api/v1/ab_test/{test.pk}/results/").json()
    assert (body["control_impressions"], body["control_conversions"]) == (4, 2)
    assert (body["variant_impressions"], body["variant_conversions"]) == (2, 1)
    assert body["control_rate"] == 0.5
    assert body["lift"] == 0.0
    assert body["sufficient_data"] is True
    assert body["significant"] is False
    assert set(body) >= {"z_score", "p_value", "confidence_interval", "sequential_p_value"}

    series = client.get(f"/api/v1/ab_test/{test.pk}/results/timeseries/").json()["results"]
    assert len(series) == 1
    assert series[0]["control_cumulative_conversions"] == 2


def test_conversion_batch(client: APIClient, project: Any) -> None:
    slot = DeploymentSlotFactory(project=project)
    impressions = [ImpressionFactory(deployment_slot=slot) for _ in range(3)]
    body = [
        {"recommendation_request_id": str(i.request_id), "event_type": "click", "item_id": "7"}
        for i in impressions
    ]
    response = client.post(EVENTS, body)
    assert response.status_code == 201, response.json()
    assert [e["deployment_slot"] for e in response.json()] == [slot.pk] * 3
    assert response.json()[0]["user_id"] == impressions[0].user_id


def test_conversion_needs_a_served_request_id(client: APIClient, project: Any) -> None:
    response = client.post(
        EVENTS, {"recommendation_request_id": str(uuid.uuid4()), "event_type": "click"}
    )
    assert response.status_code == 400
    assert "request_id" in response.json()["error"]["message"]
    assert ConversionEvent.objects.count() == 0


def test_conversion_of_another_tenants_impression_is_refused(client: APIClient) -> None:
    foreign = ImpressionFactory()
    assert _convert(client, foreign).status_code == 400


def test_conversion_batch_is_all_or_nothing(client: APIClient, project: Any) -> None:
    good = ImpressionFactory(deployment_slot=DeploymentSlotFactory(project=project))
    body = [
        {"recommendation_request_id": str(good.request_id), "event_type": "click"},
        {"recommendation_request_id": str(uuid.uuid4()), "event_type": "click"},
    ]
    response = client.post(EVENTS, body)
    assert response.status_code == 400
    assert "Event 1" in response.json()["error"]["message"]
    assert ConversionEvent.objects.count() == 0


def test_oversized_conversion_batch_is_refused(client: APIClient) -> None:
    body = [{"recommendation_request_id": str(uuid.uuid4()), "event_type": "click"}] * 1001
    response = client.post(EVENTS, body)
    assert response.status_code == 400
    assert "1000" in response.json()["error"]["message"]


def test_predict_key_may_only_create(anon_client: APIClient, user: Any, project: Any) -> None:
    impression = ImpressionFactory(deployment_slot=DeploymentSlotFactory(project=project))
    _, raw = api_key_create(
        owner=user, project=project, name="site", scopes=["predict"], expires_at=None
    )
    anon_client.credentials(HTTP_X_API_KEY=raw)
    assert _convert(anon_client, impression).status_code == 201
    assert anon_client.get(EVENTS).status_code == 403


def test_read_key_cannot_report_conversions(
    anon_client: APIClient, user: Any, project: Any
) -> None:
    impression = ImpressionFactory(deployment_slot=DeploymentSlotFactory(project=project))
    _, raw = api_key_create(
        owner=user, project=project, name="ro", scopes=["read"], expires_at=None
    )
    anon_client.credentials(HTTP_X_API_KEY=raw)
    response = _convert(anon_client, impression)
    assert response.status_code == 403
    assert "predict" in response.json()["error"]["message"]


def test_a_a_test_watched_many_times_stays_insignificant_sequentially(
    client: APIClient, project: Any
) -> None:
    """Both arms convert at 10%; the results page is looked at after every batch."""
    rng = random.Random(11)
    test = ABTestFactory(
        project=project,
        status=ABTest.Status.RUNNING,
        started_at=timezone.now() - timedelta(hours=1),
        min_sample_size=50,
    )
    sequential = []
    for _ in range(15):
        for slot in (test.control_slot, test.variant_slot):
            for impression in ImpressionFactory.create_batch(40, deployment_slot=slot):
                if rng.random() < 0.10:
                    ConversionEvent.objects.create(
                        project=project,
                        deployment_slot=slot,
                        user_id=impression.user_id,
                        event_type="click",
                        recommendation_request_id=impression.request_id,
                    )
        body = client.get(f"/api/v1/ab_test/{test.pk}/results/").json()
        sequential.append(body["sequential_p_value"])
        assert body["sequential_significant"] is False
    assert body["control_impressions"] == body["variant_impressions"] == 600
    assert all(later <= earlier + 1e-12 for earlier, later in itertools.pairwise(sequential))


def test_conversions_with_control_characters_in_ids_are_refused_with_422(
    client: APIClient, project: Any
) -> None:
    impression = ImpressionFactory(deployment_slot=DeploymentSlotFactory(project=project))
    response = client.post(
        EVENTS,
        {
            "recommendation_request_id": str(impression.request_id),
            "event_type": "click",
            "user_id": "u\x00",
            "item_id": "i\x1b",
        },
        format="json",
    )

    assert response.status_code == 422
    assert set(response.json()["error"]["fields"]) == {"user_id", "item_id"}
    assert not ConversionEvent.objects.exists()


def test_daily_series_splits_at_midnight_utc(client: APIClient, project: Any) -> None:
    midnight = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
    test = ABTestFactory(
        project=project, status=ABTest.Status.RUNNING, started_at=midnight - timedelta(days=1)
    )
    before = midnight - timedelta(microseconds=1)
    for at in (before, before, midnight, midnight + timedelta(seconds=1)):
        ImpressionFactory(deployment_slot=test.control_slot, timestamp=at)
    _convert(client, ImpressionFactory(deployment_slot=test.variant_slot, timestamp=midnight))

    series = client.get(f"/api/v1/ab_test/{test.pk}/results/timeseries/").json()["results"]

    assert [row["date"] for row in series] == [
        before.date().isoformat(),
        midnight.date().isoformat(),
    ]
    assert [row["control_impressions"] for row in series] == [2, 2]
    assert [(row["variant_impressions"], row["variant_conversions"]) for row in series] == [
        (0, 0),
        (1, 1),
    ]
