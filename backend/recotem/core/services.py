"""What every app's services share."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from django.conf import settings
from django.db.models import F, Model

from core.exceptions import field_error

M = TypeVar("M", bound=Model)


def model_update(*, instance: M, fields: Iterable[str], data: Mapping[str, Any]) -> list[str]:
    """Apply to ``instance`` the values ``data`` gives for ``fields`` and save them.

    Only fields that ``data`` names and whose value differs are set and written (with
    ``updated_at`` where the model keeps one), so an update never overwrites what it did
    not mean to change. Returns the names of the fields that changed; a service reacts
    to those (revalidating uploads when a column changes, telling the inference service
    when a slot moves). Keys of ``data`` outside ``fields`` are left to the caller.
    """
    changed = [name for name in fields if name in data and getattr(instance, name) != data[name]]
    for name in changed:
        setattr(instance, name, data[name])
    if changed:
        stamped = any(field.name == "updated_at" for field in instance._meta.concrete_fields)
        instance.save(update_fields=[*changed, "updated_at"] if stamped else changed)
    return changed


def basename_change(*, instance: M, basename: str) -> M:
    """Rename what a file is listed and downloaded as (the reference let clients PATCH
    ``basename``); the stored file keeps its own name, so nothing else moves."""
    name = basename.strip()
    if name in {"", ".", ".."} or "/" in name or "\\" in name or not name.isprintable():
        raise field_error(
            "basename",
            f"{basename!r} cannot be a file name: give one name, without slashes or "
            "control characters.",
        )
    model_update(instance=instance, fields=["basename"], data={"basename": name})
    return instance


def delivery_over_limit(*, model: type[Model], pk: int) -> int | None:
    """Count one more delivery of a row's task; the count when it passes
    ``MAX_TASK_DELIVERIES`` (the previous workers died before finishing), else None."""
    model._default_manager.filter(pk=pk).update(deliveries=F("deliveries") + 1)
    deliveries: int = (
        model._default_manager.filter(pk=pk).values_list("deliveries", flat=True).get()
    )
    return deliveries if deliveries > settings.MAX_TASK_DELIVERIES else None


def lost_workers_message(*, work: str, deliveries: int) -> str:
    return (
        f"The {work} was stopped {deliveries - 1} times before finishing: its worker ran out "
        "of memory or was killed. It is not retried automatically."
    )
