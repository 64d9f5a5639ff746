"""The one rule, shared by both services, for which slots receive a project's traffic."""

from __future__ import annotations

from recotem_common.routing import routed_slot_ids


def test_without_a_running_test_every_active_slot_receives_traffic() -> None:
    assert routed_slot_ids([3, 5, 8], []) == [3, 5, 8]


def test_a_running_test_sends_traffic_to_its_active_arms_only() -> None:
    assert routed_slot_ids([3, 5, 8], [(8, 3)]) == [3, 8]
    assert routed_slot_ids([3, 5], [(8, 3)]) == [3]


def test_of_several_running_tests_the_oldest_routes() -> None:
    assert routed_slot_ids([3, 5, 8, 9], [(3, 5), (8, 9)]) == [3, 5]
