"""A/B routing: weighted, sticky per user, A/B tests as arms, changes at once."""

from __future__ import annotations

from collections import Counter

import pytest
from fastapi.testclient import TestClient

from inference.errors import ServiceUnavailable
from inference.routing import RoutingTable, sticky_point
from inference.selectors import SlotRecord
from recotem_common.events import SlotsChanged
from testbed.seeder import Seeder
from tests.conftest import Artifacts, World, headers, publish, wait_for

USERS = [f"user-{n}" for n in range(10_000)]


def _slot(slot_id: int, weight: float) -> SlotRecord:
    return SlotRecord(slot_id=slot_id, name=f"slot-{slot_id}", model_id=slot_id, weight=weight)


def test_weights_split_10000_users_in_proportion() -> None:
    table = RoutingTable.build(7, [_slot(1, 70), _slot(2, 20), _slot(3, 10)], 0.0)

    shares = Counter(table.choose(user).slot_id for user in USERS)

    assert shares[1] / len(USERS) == pytest.approx(0.70, abs=0.02)
    assert shares[2] / len(USERS) == pytest.approx(0.20, abs=0.02)
    assert shares[3] / len(USERS) == pytest.approx(0.10, abs=0.02)


def test_every_user_keeps_the_same_arm() -> None:
    table = RoutingTable.build(7, [_slot(1, 50), _slot(2, 50)], 0.0)
    rebuilt = RoutingTable.build(7, [_slot(1, 50), _slot(2, 50)], 99.0)

    first = [table.choose(user).slot_id for user in USERS]

    assert first == [table.choose(user).slot_id for user in USERS]
    assert first == [rebuilt.choose(user).slot_id for user in USERS]


def test_the_sticky_point_is_uniform_and_differs_per_project() -> None:
    points = [sticky_point(1, user) for user in USERS]
    per_decile = Counter(int(point * 10) for point in points)

    assert all(0.0 <= point < 1.0 for point in points)
    assert all(abs(count - 1000) < 100 for count in per_decile.values())
    assert points != [sticky_point(2, user) for user in USERS]


def test_zero_weight_arms_get_no_traffic() -> None:
    table = RoutingTable.build(7, [_slot(1, 0), _slot(2, 100), _slot(3, 0)], 0.0)

    assert {table.choose(user).slot_id for user in USERS[:2000]} == {2}


def test_total_weight_zero_or_no_slot_is_503_with_a_reason() -> None:
    with pytest.raises(ServiceUnavailable, match="weight 0"):
        RoutingTable.build(7, [_slot(1, 0), _slot(2, 0)], 0.0).choose("u")
    with pytest.raises(ServiceUnavailable, match="no active deployment slot"):
        RoutingTable.build(7, [], 0.0).choose("u")


def _project(seeder: Seeder, world: World) -> tuple[int, str]:
    project = seeder.project(owner_id=world.owner_id)
    _, key = seeder.api_key(project_id=project, owner_id=world.owner_id)
    return project, key


def _model(seeder: Seeder, artifacts: Artifacts, project: int, name: str = "knn") -> int:
    return seeder.trained_model(
        project_id=project, file=artifacts.files[name], algorithm="CosineKNNRecommender"
    )


def _route(client: TestClient, project: int, key: str, user: str) -> dict[str, object]:
    response = client.post(
        f"/predict/project/{project}", json={"user_id": user}, headers=headers(key)
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_project_endpoint_routes_sticky_over_weighted_slots(
    client: TestClient, world: World, seeder: Seeder, artifacts: Artifacts
) -> None:
    project, key = _project(seeder, world)
    model_a = _model(seeder, artifacts, project)
    model_b = _model(seeder, artifacts, project, "knn_small")
    slot_a = seeder.slot(project_id=project, model_id=model_a, weight=50, name="control")
    slot_b = seeder.slot(project_id=project, model_id=model_b, weight=50, name="variant")

    answers = {user: _route(client, project, key, user) for user in ("1", "2", "3", "4", "5", "6")}
    answers.update({f"x{n}": _route(client, project, key, f"x{n}") for n in range(40)})

    for user, body in answers.items():
        expected_slot = slot_a if body["model_id"] == model_a else slot_b
        assert body["slot_id"] == expected_slot
        assert body["slot_name"] == ("control" if expected_slot == slot_a else "variant")
        assert body["user_id"] == user
        assert _route(client, project, key, user)["slot_id"] == body["slot_id"]
    assert {body["slot_id"] for body in answers.values()} == {slot_a, slot_b}


def test_a_running_ab_test_limits_traffic_to_its_two_slots(
    client: TestClient, world: World, seeder: Seeder, artifacts: Artifacts
) -> None:
    project, key = _project(seeder, world)
    model = _model(seeder, artifacts, project)
    control = seeder.slot(project_id=project, model_id=model, weight=10)
    variant = seeder.slot(project_id=project, model_id=model, weight=10)
    seeder.slot(project_id=project, model_id=model, weight=80)
    seeder.ab_test(
        project_id=project,
        control_slot_id=control,
        variant_slot_id=variant,
        status="RUNNING",
    )

    slots = {_route(client, project, key, f"u{n}")["slot_id"] for n in range(60)}

    assert slots == {control, variant}


def test_a_finished_ab_test_no_longer_restricts_routing(
    client: TestClient, world: World, seeder: Seeder, artifacts: Artifacts
) -> None:
    project, key = _project(seeder, world)
    model = _model(seeder, artifacts, project)
    control = seeder.slot(project_id=project, model_id=model, weight=0)
    variant = seeder.slot(project_id=project, model_id=model, weight=0)
    everyone = seeder.slot(project_id=project, model_id=model, weight=100)
    seeder.ab_test(
        project_id=project,
        control_slot_id=control,
        variant_slot_id=variant,
        status="COMPLETED",
    )

    assert _route(client, project, key, "u1")["slot_id"] == everyone


def test_all_weights_zero_is_503_with_a_message(
    client: TestClient, world: World, seeder: Seeder, artifacts: Artifacts
) -> None:
    project, key = _project(seeder, world)
    seeder.slot(project_id=project, model_id=_model(seeder, artifacts, project), weight=0)

    response = client.post(
        f"/predict/project/{project}", json={"user_id": "1"}, headers=headers(key)
    )

    assert response.status_code == 503
    assert response.json()["error"]["code"] == "service_unavailable"
    assert "weight 0" in response.json()["error"]["message"]


def test_slot_changes_apply_as_soon_as_the_event_arrives(
    client: TestClient, world: World, seeder: Seeder, artifacts: Artifacts
) -> None:
    project, key = _project(seeder, world)
    model = _model(seeder, artifacts, project)
    old = seeder.slot(project_id=project, model_id=model, weight=100)
    new = seeder.slot(project_id=project, model_id=model, weight=0)
    assert _route(client, project, key, "u1")["slot_id"] == old

    seeder.update("deployments_deploymentslot", old, weight=0)
    seeder.update("deployments_deploymentslot", new, weight=100)
    publish(SlotsChanged(project_id=project))

    wait_for(lambda: _route(client, project, key, "u1")["slot_id"] == new, timeout=2.0)
    assert {_route(client, project, key, f"u{n}")["slot_id"] for n in range(20)} == {new}
