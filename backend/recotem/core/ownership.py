"""Who may see which rows: the one rule every list, detail and foreign-key check uses.

Each owned model declares ``OWNER_PATH`` (the lookup to the owning user) and, when it
belongs to a project, ``PROJECT_PATH`` (the lookup to that project). Staff see every row;
a user sees rows they own; a request made with an API key sees only its project's rows.
A model shared across projects (a tuning configuration) decides what a key sees with a
``visible_to_api_key`` classmethod.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from django.db.models import Model, Q, QuerySet

from accounts.models import ApiKey

if TYPE_CHECKING:
    from rest_framework.request import Request

M = TypeVar("M", bound=Model)


@dataclass(frozen=True)
class Requester:
    user: Any
    api_key: ApiKey | None = None

    @classmethod
    def of(cls, request: Request) -> Requester:
        auth = getattr(request, "auth", None)
        return cls(user=request.user, api_key=auth if isinstance(auth, ApiKey) else None)


def visible_to(queryset: QuerySet[M], requester: Requester) -> QuerySet[M]:
    model = queryset.model
    owner_path: str = model.OWNER_PATH  # type: ignore[attr-defined]
    project_path: str | None = getattr(model, "PROJECT_PATH", None)
    if requester.api_key is not None:
        key_rule = getattr(model, "visible_to_api_key", None)
        if key_rule is not None:
            visible: QuerySet[M] = key_rule(queryset, requester.api_key)
            return visible
        if project_path is None:
            return queryset.filter(**{owner_path: requester.api_key.owner_id})
        return queryset.filter(**{project_path: requester.api_key.project_id})
    if requester.user.is_staff:
        return queryset
    return queryset.filter(Q(**{owner_path: requester.user.pk}))
