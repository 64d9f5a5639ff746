"""The conventions every app's services follow, and the rules that used to live in views."""

from __future__ import annotations

from typing import Any

import pytest

from core.exceptions import ValidationFailed
from core.services import model_update
from deployments.services import ab_test_update, deployment_slot_update
from retraining.services import retraining_schedule_create, retraining_schedule_update
from tests.factories import (
    ABTestFactory,
    DeploymentSlotFactory,
    ModelConfigurationFactory,
    ProjectFactory,
)
from training.services import model_configuration_update

pytestmark = pytest.mark.django_db


def test_an_update_writes_only_what_changed(project: Any) -> None:
    slot = DeploymentSlotFactory(project=project, weight=40.0)
    stamp = slot.updated_at

    assert model_update(instance=slot, fields=("weight", "name"), data={"weight": 40.0}) == []
    slot.refresh_from_db()
    assert slot.updated_at == stamp

    changed = model_update(
        instance=slot, fields=("weight", "name"), data={"weight": 10.0, "is_active": False}
    )

    assert changed == ["weight"]
    slot.refresh_from_db()
    assert (slot.weight, slot.is_active) == (10.0, True)
    assert slot.updated_at > stamp


def test_nothing_moves_to_another_project_whichever_way_it_is_updated(project: Any) -> None:
    elsewhere = ProjectFactory(owner=project.owner)
    configuration = ModelConfigurationFactory(project=project)
    schedule = retraining_schedule_create(project=project, model_configuration=configuration)
    moves = [
        lambda: model_configuration_update(
            configuration=configuration, data={"project": elsewhere}
        ),
        lambda: deployment_slot_update(
            slot=DeploymentSlotFactory(project=project), data={"project": elsewhere}
        ),
        lambda: ab_test_update(ab_test=ABTestFactory(project=project), data={"project": elsewhere}),
        lambda: retraining_schedule_update(schedule=schedule, data={"project": elsewhere}),
    ]

    for move in moves:
        with pytest.raises(ValidationFailed, match="cannot move to another project") as refused:
            move()
        assert refused.value.fields == {"project": [refused.value.message]}
