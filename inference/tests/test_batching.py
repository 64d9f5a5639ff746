"""Single-user requests reaching the scorer in the same loop turn share one call."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, cast

from inference.batching import ScoringBatcher
from inference.model_cache import LoadedModel
from recotem_common.artifact.model import Recommendations


class RecordingArtifact:
    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def recommend_users(
        self, user_ids: list[str], cutoff: int, **_: Any
    ) -> list[list[tuple[str, float]] | None]:
        self.calls.append(list(user_ids))
        return [None if u == "unknown" else [(f"item-{u}", 1.0)] for u in user_ids]


class FakeModel:
    def __init__(self) -> None:
        self.artifact = RecordingArtifact()


def _recommend(
    batcher: ScoringBatcher, model: FakeModel, user_id: str, cutoff: int = 5
) -> Coroutine[Any, Any, Recommendations | None]:
    return batcher.recommend(
        cast(LoadedModel, model),
        user_id,
        cutoff=cutoff,
        exclude_seen=True,
        allow_items=None,
        exclude_items=[],
    )


def test_a_lone_request_is_scored_at_once_and_the_rest_of_its_turn_together() -> None:
    model = FakeModel()
    batcher = ScoringBatcher()

    async def scenario() -> list[Any]:
        return await asyncio.gather(*(_recommend(batcher, model, u) for u in ("1", "unknown", "3")))

    results = asyncio.run(scenario())

    assert model.artifact.calls == [["1"], ["unknown", "3"]]
    assert results == [[("item-1", 1.0)], None, [("item-3", 1.0)]]


def test_under_load_the_first_request_of_a_turn_joins_the_batch_too() -> None:
    model = FakeModel()
    batcher = ScoringBatcher()

    async def scenario() -> None:
        await asyncio.gather(*(_recommend(batcher, model, u) for u in ("1", "2")))
        await asyncio.gather(*(_recommend(batcher, model, u) for u in ("3", "4", "5")))

    asyncio.run(scenario())

    assert model.artifact.calls == [["1"], ["2"], ["3", "4", "5"]]


def test_different_options_are_scored_separately() -> None:
    model = FakeModel()
    batcher = ScoringBatcher()

    async def scenario() -> None:
        await asyncio.gather(
            _recommend(batcher, model, "1", cutoff=5),
            _recommend(batcher, model, "2", cutoff=10),
            _recommend(batcher, model, "3", cutoff=5),
            _recommend(batcher, model, "4", cutoff=5),
        )

    asyncio.run(scenario())

    assert sorted(model.artifact.calls) == [["1"], ["2"], ["3", "4"]]


def test_requests_one_at_a_time_are_each_scored_at_once() -> None:
    model = FakeModel()
    batcher = ScoringBatcher()

    async def scenario() -> None:
        for user_id in ("1", "2", "3"):
            await _recommend(batcher, model, user_id)

    asyncio.run(scenario())

    assert model.artifact.calls == [["1"], ["2"], ["3"]]
