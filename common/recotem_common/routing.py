"""Which of a project's deployment slots share its traffic.

One rule for the inference service, which routes requests by it, and the backend, which
reports the traffic split by it: while the project's A/B test runs, its two slots (those
of them still active) share the traffic; otherwise every active slot does. The backend
lets one test run per project at a time; should older data hold several, the oldest one
(the lowest id) routes, in both services alike.
"""

from __future__ import annotations

from collections.abc import Sequence


def routed_slot_ids(
    active_slot_ids: Sequence[int], running_test_arms: Sequence[tuple[int, int]]
) -> list[int]:
    """The ids among ``active_slot_ids`` that receive traffic, in their order.

    ``running_test_arms`` holds the (control, variant) slot ids of the project's
    running tests, ordered by test id.
    """
    if not running_test_arms:
        return list(active_slot_ids)
    arms = set(running_test_arms[0])
    return [slot_id for slot_id in active_slot_ids if slot_id in arms]
