"""Request and response bodies.

Ids are strings as the training data had them; clients may send numbers, which are
read as their decimal text, so ``{"user_id": 42}`` and ``{"user_id": "42"}`` agree.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
)
from pydantic_core import PydanticCustomError

from recotem_common.limits import (
    CONTROL_CHARACTER,
    DEFAULT_CUTOFF,
    MAX_ID_LENGTH,
    MAX_ITEM_IDS,
    control_character_problem,
)


def _id_text(value: object) -> object:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


def no_control_characters(value: str) -> str:
    problem = control_character_problem(value)
    if problem is not None:
        raise PydanticCustomError(CONTROL_CHARACTER, problem)
    return value


# An id as a path or query parameter; in a body also its number, see the module's note.
IdText = Annotated[
    str,
    StringConstraints(min_length=1, max_length=MAX_ID_LENGTH),
    AfterValidator(no_control_characters),
]
EntityId = Annotated[IdText, BeforeValidator(_id_text)]
Cutoff = Annotated[int, Field(ge=1, description="How many items to return.")]
UnknownUser = Literal["popular", "error"]
FieldName = Annotated[str, StringConstraints(min_length=1, max_length=MAX_ID_LENGTH)]
MAX_FIELDS = 64
FIELDS_DESCRIPTION = (
    "Item metadata fields to return with each item (as `details`), e.g. "
    '`["title", "genres"]`; an unknown field is a 400 that lists the available ones.'
)


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cutoff: Cutoff = DEFAULT_CUTOFF
    exclude_items: list[EntityId] = Field(
        default_factory=list,
        max_length=MAX_ITEM_IDS,
        description="Items never to recommend.",
    )
    allow_items: list[EntityId] | None = Field(
        default=None,
        max_length=MAX_ITEM_IDS,
        description="When given, recommend only among these items.",
    )
    fields: list[FieldName] = Field(
        default_factory=list, max_length=MAX_FIELDS, description=FIELDS_DESCRIPTION
    )


class _UserRequest(_Request):
    exclude_seen: bool = Field(
        default=True,
        description="Leave out items the user interacted with in training.",
    )
    unknown_user: UnknownUser = Field(
        default="popular",
        description="For users the model does not know: answer the most popular items "
        '(flagged with "fallback": "popular"), or 404 with "error".',
    )


class PredictRequest(_UserRequest):
    user_id: EntityId


class BatchPredictRequest(_UserRequest):
    user_ids: list[EntityId] = Field(min_length=1)


class ProfileRequest(_Request):
    item_ids: list[EntityId] = Field(
        max_length=MAX_ITEM_IDS,
        description="Items the (unknown) user interacted with.",
    )
    exclude_seen: bool = Field(default=True, description="Leave out the profile's items.")


class ScoredItem(BaseModel):
    item_id: str
    score: float
    details: dict[str, Any] | None = Field(
        default=None,
        description="The requested metadata fields (null values for an item without "
        "metadata); present only when `fields` were asked for.",
    )


class Recommendation(BaseModel):
    model_id: int
    user_id: str
    items: list[ScoredItem]
    request_id: uuid.UUID
    fallback: Literal["popular"] | None = None


class ProjectRecommendation(Recommendation):
    slot_id: int
    slot_name: str


class UserRecommendation(BaseModel):
    model_id: int
    user_id: str
    items: list[ScoredItem]
    request_id: uuid.UUID = Field(description="What a conversion of this user refers to.")
    fallback: Literal["popular"] | None = None


class BatchRecommendation(BaseModel):
    model_id: int
    results: list[UserRecommendation]


class ProfileRecommendation(BaseModel):
    model_id: int
    items: list[ScoredItem]
    request_id: uuid.UUID
    fallback: Literal["popular"] | None = None


class SimilarItems(BaseModel):
    model_id: int
    item_id: str
    items: list[ScoredItem]
    request_id: uuid.UUID
    method: Literal["model", "content"] = Field(
        description="What answered: the model's similarity or the item metadata's."
    )
    fallback: Literal["content"] | None = Field(
        default=None,
        description='"content" when the model never saw the item and its metadata answered.',
    )


class LoadedModelInfo(BaseModel):
    model_id: int
    project_id: int
    version_tag: str
    algorithm: str
    loaded_at: datetime
    load_seconds: float
    nbytes: int
    n_users: int
    n_items: int
    supports_profile: bool
    supports_similar: bool


class ModelList(BaseModel):
    models: list[LoadedModelInfo]
    count: int = Field(description="How many models are listed.")


class DependencyCheck(BaseModel):
    ok: bool
    error: str | None = None


class ModelHealth(BaseModel):
    model_id: int
    version_tag: str
    algorithm: str
    loaded_at: datetime
    load_seconds: float


class FailedModel(BaseModel):
    model_id: int
    version_tag: str
    reason: str
    failed_at: datetime


class CacheState(BaseModel):
    models: int
    bytes: int
    max_models: int
    max_bytes: int


class Health(BaseModel):
    status: Literal["ok", "degraded", "unavailable"]
    loaded_models: int = Field(description="How many models this worker holds in memory.")
    database: DependencyCheck
    redis: DependencyCheck
    model_events: DependencyCheck
    models: list[ModelHealth] | None = Field(
        default=None,
        description="Loaded models of the key's project (every project with the metrics "
        "token); absent without either.",
    )
    failed_models: list[FailedModel] | None = Field(
        default=None, description="Models that failed to load, scoped like `models`."
    )
    cache: CacheState | None = Field(
        default=None, description="This worker's model cache; absent without a credential."
    )


class ErrorDetail(BaseModel):
    code: str = Field(description="A stable, machine-readable name of the error.")
    message: str = Field(description="What went wrong and what to do about it.")
    fields: dict[str, list[str]] | None = Field(
        default=None, description="The messages of each wrong input, by field name."
    )


class ErrorEnvelope(BaseModel):
    """Every error answer of the service."""

    error: ErrorDetail
    detail: str = Field(description="The same message, for clients that read only this.")


class ServingTally(BaseModel):
    requests: int
    successes: int
    errors: int = Field(description="Answers with a 4xx or 5xx status.")
    error_rate: float
    p50_ms: float | None = Field(description="Median latency, from fixed buckets.")
    p99_ms: float | None


class ServingTotals(ServingTally):
    statuses: dict[str, int] = Field(description="Answers by HTTP status.")
    error_codes: dict[str, int] = Field(description="Error answers by error code.")


class ServingMinute(ServingTally):
    minute: int = Field(description="The minute's start, in Unix seconds.")


class ServingSlot(BaseModel):
    slot_id: int | None = Field(description="None for requests straight to a model.")
    model_ids: list[int]
    totals: ServingTotals
    minutes: list[ServingMinute]


class ServingModel(BaseModel):
    model_id: int | None = Field(description="None for requests refused before a model.")
    totals: ServingTotals


class ServingFigures(BaseModel):
    """Recommendation requests of one project across every worker, per slot and model."""

    project_id: int
    minutes: int
    since: int = Field(description="The window's start, in Unix seconds.")
    until: int
    uptime_seconds: float | None = Field(
        description="Since the oldest running worker started; None when none reported."
    )
    instances: int = Field(description="Workers that reported in the last 30 seconds.")
    totals: ServingTotals
    slots: list[ServingSlot]
    models: list[ServingModel]
