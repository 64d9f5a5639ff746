"""Conversions as the reference's clients report them: the batch/ form, events without a
request id, and request ids of direct predictions."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from deployments.models import ABTest, ConversionEvent
from tests.compat.conftest import API
from tests.factories import (
    ABTestFactory,
    DeploymentSlotFactory,
    ImpressionFactory,
    issue_api_key,
)

BATCH = f"{API}/conversion_event/batch/"


def test_batch_answers_201_with_the_count(reference_client: APIClient, project: Any) -> None:
    slot = DeploymentSlotFactory(project=project)
    impressions = ImpressionFactory.create_batch(3, deployment_slot=slot)
    events = [
        {
            "project": project.pk,
            "deployment_slot": slot.pk,
            "user_id": impression.user_id,
            "item_id": "42",
            "event_type": "click",
            "recommendation_request_id": str(impression.request_id),
        }
        for impression in impressions
    ]

    response = reference_client.post(BATCH, {"events": events}, format="json")

    assert response.status_code == 201, response.content
    assert response.json() == {"created": 3}
    stored = ConversionEvent.objects.order_by("id")
    assert [e.recommendation_request_id for e in stored] == [i.request_id for i in impressions]


def test_batch_is_all_or_nothing(reference_client: APIClient, project: Any) -> None:
    slot = DeploymentSlotFactory(project=project)
    good = ImpressionFactory(deployment_slot=slot)
    events = [
        {"event_type": "click", "recommendation_request_id": str(good.request_id)},
        {"event_type": "click", "recommendation_request_id": str(uuid.uuid4())},
    ]

    response = reference_client.post(BATCH, {"events": events}, format="json")

    assert response.status_code == 400
    assert "Event 1" in response.json()["detail"]
    assert ConversionEvent.objects.count() == 0


@pytest.mark.parametrize("body", [{"events": "click"}, {}, {"events": [{"event_type": "click"}]}])
def test_a_malformed_batch_is_refused_clearly(
    reference_client: APIClient, body: dict[str, Any]
) -> None:
    response = reference_client.post(BATCH, body, format="json")

    assert response.status_code == 400
    assert response.json()["detail"]
    assert ConversionEvent.objects.count() == 0


def test_a_predict_key_may_post_a_batch(project: Any) -> None:
    slot = DeploymentSlotFactory(project=project)
    impression = ImpressionFactory(deployment_slot=slot)
    _, raw_key = issue_api_key(project=project, scopes=("predict",))
    script = APIClient()
    script.credentials(HTTP_X_API_KEY=raw_key)

    response = script.post(
        BATCH,
        {
            "events": [
                {"event_type": "purchase", "recommendation_request_id": str(impression.request_id)}
            ]
        },
        format="json",
    )

    assert response.status_code == 201
    assert response.json() == {"created": 1}


def test_an_event_without_request_id_is_tied_to_the_users_latest_impression_in_the_slot(
    reference_client: APIClient, project: Any
) -> None:
    slot = DeploymentSlotFactory(project=project)
    other_slot = DeploymentSlotFactory(project=project)
    ImpressionFactory(
        deployment_slot=slot, user_id="ann", timestamp=timezone.now() - timedelta(hours=2)
    )
    latest = ImpressionFactory(
        deployment_slot=slot, user_id="ann", timestamp=timezone.now() - timedelta(hours=1)
    )
    ImpressionFactory(deployment_slot=other_slot, user_id="ann")
    ImpressionFactory(deployment_slot=slot, user_id="bob")

    response = reference_client.post(
        f"{API}/conversion_event/",
        {"deployment_slot": slot.pk, "user_id": "ann", "event_type": "click", "item_id": "9"},
        format="json",
    )

    assert response.status_code == 201, response.content
    assert response.json()["recommendation_request_id"] == str(latest.request_id)
    assert response.json()["deployment_slot"] == slot.pk


def test_without_an_impression_in_the_window_the_event_is_kept_unattributed_and_shown_apart(
    reference_client: APIClient, project: Any, settings: Any
) -> None:
    settings.CONVERSION_ATTRIBUTION_WINDOW_SECONDS = 600
    test = ABTestFactory(
        project=project,
        status=ABTest.Status.RUNNING,
        started_at=timezone.now() - timedelta(days=1),
        min_sample_size=1,
    )
    ImpressionFactory(
        deployment_slot=test.variant_slot,
        user_id="carol",
        timestamp=timezone.now() - timedelta(hours=1),
    )
    shown = ImpressionFactory(deployment_slot=test.control_slot, user_id="dan")

    responses = [
        reference_client.post(
            f"{API}/conversion_event/",
            {"deployment_slot": slot.pk, "user_id": user, "event_type": "click"},
            format="json",
        )
        for slot, user in ((test.variant_slot, "carol"), (test.control_slot, "dan"))
    ]

    assert [r.status_code for r in responses] == [201, 201]
    assert responses[0].json()["recommendation_request_id"] is None
    assert responses[1].json()["recommendation_request_id"] == str(shown.request_id)
    results = reference_client.get(f"{API}/ab_test/{test.pk}/results/").json()
    assert results["variant_unattributed_conversions"] == 1
    assert results["variant_conversions"] == 0
    assert results["control_unattributed_conversions"] == 0
    assert results["control_conversions"] == 1


def test_an_event_without_request_id_names_its_slot_and_user(
    reference_client: APIClient,
) -> None:
    response = reference_client.post(
        f"{API}/conversion_event/", {"event_type": "click"}, format="json"
    )

    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"deployment_slot", "user_id"}


def test_a_direct_predictions_request_id_is_accepted_outside_ab_tests(
    reference_client: APIClient, project: Any
) -> None:
    slot = DeploymentSlotFactory(project=project)
    direct = ImpressionFactory(
        deployment_slot=None,
        project=project,
        trained_model_id=slot.trained_model_id,
        user_id="erin",
    )

    accepted = reference_client.post(
        f"{API}/conversion_event/",
        {"event_type": "purchase", "recommendation_request_id": str(direct.request_id)},
        format="json",
    )
    mismatched = reference_client.post(
        f"{API}/conversion_event/",
        {
            "event_type": "purchase",
            "deployment_slot": slot.pk,
            "recommendation_request_id": str(direct.request_id),
        },
        format="json",
    )

    assert accepted.status_code == 201, accepted.content
    assert accepted.json()["deployment_slot"] is None
    assert accepted.json()["project"] == project.pk
    assert accepted.json()["user_id"] == "erin"
    assert mismatched.status_code == 400
    assert "without a slot" in mismatched.json()["detail"]
