"""A project whose A/B test has run for 90 days: slots, impressions and conversions.

Run in the backend's environment against the stack's database (``manage.py shell``);
prints the project and test ids as JSON for ``bench_production_pages.mjs``.
"""

from __future__ import annotations

import json
import random
import uuid
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from deployments.models import ABTest, ConversionEvent, Impression
from tests.factories import DeploymentSlotFactory, ProjectFactory, TrainedModelFactory

DAYS = 90
IMPRESSIONS_PER_DAY = 200
RATES = {"control": 0.05, "variant": 0.06}


def seed() -> dict[str, int]:
    rng = random.Random(90)
    owner = get_user_model().objects.get(username="admin")
    project = ProjectFactory(owner=owner, name=f"Benchmark {uuid.uuid4().hex[:6]}")
    slots = {
        arm: DeploymentSlotFactory(
            project=project, name=arm, trained_model=TrainedModelFactory(project=project)
        )
        for arm in RATES
    }
    now = timezone.now()
    test = ABTest.objects.create(
        project=project,
        name="Ninety days",
        control_slot=slots["control"],
        variant_slot=slots["variant"],
        status=ABTest.Status.RUNNING,
        started_at=now - timedelta(days=DAYS),
        min_sample_size=1000,
    )
    impressions, conversions = [], []
    for day in range(DAYS):
        moment = now - timedelta(days=DAYS - day - 0.5)
        for arm, slot in slots.items():
            for n in range(IMPRESSIONS_PER_DAY):
                request_id = uuid.uuid4()
                impressions.append(
                    Impression(
                        project=project,
                        deployment_slot=slot,
                        trained_model_id=slot.trained_model_id,
                        request_id=request_id,
                        user_id=f"{arm}-{day}-{n}",
                        item_ids=["1"],
                        timestamp=moment,
                    )
                )
                if rng.random() < RATES[arm]:
                    conversions.append(
                        ConversionEvent(
                            project=project,
                            deployment_slot=slot,
                            user_id=f"{arm}-{day}-{n}",
                            item_id="1",
                            event_type=ConversionEvent.EventType.CLICK,
                            recommendation_request_id=request_id,
                        )
                    )
    Impression.objects.bulk_create(impressions, batch_size=5000)
    ConversionEvent.objects.bulk_create(conversions, batch_size=5000)
    return {"project": project.pk, "test": test.pk}


print(json.dumps(seed()))
