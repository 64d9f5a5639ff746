from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from core.events import publish_model_event_on_commit
from core.exceptions import Conflict, ValidationFailed, field_error
from core.models import JobStatus
from core.services import model_update
from deployments.models import (
    DEFAULT_CONFIDENCE_LEVEL,
    DEFAULT_MIN_SAMPLE_SIZE,
    DEFAULT_TARGET_METRIC,
    MAX_WEIGHT,
    ABTest,
    ConversionEvent,
    DeploymentSlot,
    Impression,
)
from deployments.selectors import ab_test_results, impressions_latest
from projects.models import Project
from recotem_common.events import SlotsChanged
from training.models import TrainedModel

MAX_CONVERSION_BATCH = 1000


def _announce_slots_changed(project_id: int) -> None:
    publish_model_event_on_commit(SlotsChanged(project_id=project_id))


def _check_servable(*, project: Project, trained_model: TrainedModel) -> None:
    if trained_model.configuration.project_id != project.pk:
        raise field_error(
            "trained_model",
            "The trained model belongs to another project.",
            field_message="Choose a model of this project.",
        )
    if trained_model.status != JobStatus.COMPLETED:
        raise field_error(
            "trained_model",
            f"Model #{trained_model.pk} is {trained_model.status.lower()}; only a "
            "completed model can be deployed.",
            field_message="The model has not finished training.",
        )


@transaction.atomic
def deployment_slot_create(
    *,
    project: Project,
    name: str,
    trained_model: TrainedModel,
    weight: float = MAX_WEIGHT,
    is_active: bool = True,
) -> DeploymentSlot:
    _check_servable(project=project, trained_model=trained_model)
    if DeploymentSlot.objects.filter(project=project, name=name).exists():
        raise Conflict(f"This project already has a slot named '{name}'.")
    slot = DeploymentSlot.objects.create(
        project=project,
        name=name,
        trained_model=trained_model,
        weight=weight,
        is_active=is_active,
    )
    _announce_slots_changed(project.pk)
    return slot


SLOT_FIELDS = ("name", "trained_model", "weight", "is_active")
AB_TEST_FIELDS = (
    "name",
    "control_slot",
    "variant_slot",
    "target_metric_name",
    "min_sample_size",
    "confidence_level",
)


@transaction.atomic
def deployment_slot_update(*, slot: DeploymentSlot, data: dict[str, Any]) -> DeploymentSlot:
    if "project" in data and data["project"].pk != slot.project_id:
        raise field_error("project", "A slot cannot move to another project.")
    trained_model = data.get("trained_model", slot.trained_model)
    _check_servable(project=slot.project, trained_model=trained_model)
    name = data.get("name", slot.name)
    if (
        DeploymentSlot.objects.filter(project_id=slot.project_id, name=name)
        .exclude(pk=slot.pk)
        .exists()
    ):
        raise Conflict(f"This project already has a slot named '{name}'.")
    model_update(instance=slot, fields=SLOT_FIELDS, data=data)
    _announce_slots_changed(slot.project_id)
    return slot


@transaction.atomic
def deployment_slot_delete(*, slot: DeploymentSlot) -> None:
    running = ABTest.objects.filter(status=ABTest.Status.RUNNING)
    if running.filter(Q(control_slot=slot) | Q(variant_slot=slot)).exists():
        raise Conflict("This slot is an arm of a running A/B test; stop the test first.")
    project_id = slot.project_id
    slot.delete()
    _announce_slots_changed(project_id)


def _check_arms(*, project: Project, control: DeploymentSlot, variant: DeploymentSlot) -> None:
    if control.pk == variant.pk:
        raise field_error(
            "variant_slot",
            "The control and variant must be different slots.",
            field_message="Choose a slot other than the control.",
        )
    for field, slot in (("control_slot", control), ("variant_slot", variant)):
        if slot.project_id != project.pk:
            raise field_error(
                field,
                "Both slots must belong to the test's project.",
                field_message="This slot belongs to another project.",
            )


@transaction.atomic
def ab_test_create(
    *,
    project: Project,
    name: str,
    control_slot: DeploymentSlot,
    variant_slot: DeploymentSlot,
    target_metric_name: str = DEFAULT_TARGET_METRIC,
    min_sample_size: int = DEFAULT_MIN_SAMPLE_SIZE,
    confidence_level: float = DEFAULT_CONFIDENCE_LEVEL,
) -> ABTest:
    _check_arms(project=project, control=control_slot, variant=variant_slot)
    return ABTest.objects.create(
        project=project,
        name=name,
        control_slot=control_slot,
        variant_slot=variant_slot,
        target_metric_name=target_metric_name,
        min_sample_size=min_sample_size,
        confidence_level=confidence_level,
    )


@transaction.atomic
def ab_test_update(*, ab_test: ABTest, data: dict[str, Any]) -> ABTest:
    if ab_test.status != ABTest.Status.DRAFT:
        raise Conflict(f"A {ab_test.status.lower()} test cannot be edited.")
    if "project" in data and data["project"].pk != ab_test.project_id:
        raise field_error("project", "A test cannot move to another project.")
    _check_arms(
        project=ab_test.project,
        control=data.get("control_slot", ab_test.control_slot),
        variant=data.get("variant_slot", ab_test.variant_slot),
    )
    model_update(instance=ab_test, fields=AB_TEST_FIELDS, data=data)
    return ab_test


def _locked(ab_test: ABTest) -> ABTest:
    return ABTest.objects.select_for_update().get(pk=ab_test.pk)


def _require_status(ab_test: ABTest, allowed: Sequence[str], action: str) -> None:
    if ab_test.status not in allowed:
        raise Conflict(
            f"Cannot {action} a test that is {ab_test.status.lower()}; it must be "
            f"{' or '.join(s.lower() for s in allowed)}."
        )


@transaction.atomic
def ab_test_start(*, ab_test: ABTest) -> ABTest:
    ab_test = _locked(ab_test)
    _require_status(ab_test, [ABTest.Status.DRAFT], "start")
    # Locking the project makes two starts in one project take turns, so the second
    # sees the first; the unique constraint on running tests backs this up.
    Project.objects.select_for_update().filter(pk=ab_test.project_id).first()
    running = ABTest.objects.filter(project_id=ab_test.project_id, status=ABTest.Status.RUNNING)
    clash = running.exclude(pk=ab_test.pk).first()
    if clash is not None:
        raise Conflict(
            f"Test '{clash.name}' (id {clash.pk}) is already running in this project; a "
            "project runs one A/B test at a time, so stop or cancel it first."
        )
    for slot in (ab_test.control_slot, ab_test.variant_slot):
        if not slot.is_active:
            raise Conflict(f"Slot '{slot.name}' is inactive; activate it first.")
    ab_test.status = ABTest.Status.RUNNING
    ab_test.started_at = timezone.now()
    ab_test.save(update_fields=["status", "started_at", "updated_at"])
    _announce_slots_changed(ab_test.project_id)
    return ab_test


@transaction.atomic
def ab_test_stop(*, ab_test: ABTest) -> ABTest:
    ab_test = _locked(ab_test)
    _require_status(ab_test, [ABTest.Status.RUNNING], "stop")
    return _end(ab_test, ABTest.Status.COMPLETED)


@transaction.atomic
def ab_test_cancel(*, ab_test: ABTest) -> ABTest:
    ab_test = _locked(ab_test)
    _require_status(ab_test, [ABTest.Status.DRAFT, ABTest.Status.RUNNING], "cancel")
    return _end(ab_test, ABTest.Status.CANCELLED)


def _end(ab_test: ABTest, status: str) -> ABTest:
    """Close a test; if it was running, traffic returns to the project's slots at once."""
    was_running = ab_test.status == ABTest.Status.RUNNING
    ab_test.status = status
    ab_test.ended_at = timezone.now()
    ab_test.save(update_fields=["status", "ended_at", "updated_at"])
    if was_running:
        _announce_slots_changed(ab_test.project_id)
    return ab_test


@transaction.atomic
def ab_test_promote_winner(*, ab_test: ABTest, winner: DeploymentSlot | None = None) -> ABTest:
    """Give the winning arm all the traffic and deactivate the losing arm.

    Without an explicit ``winner`` the arm with the higher rate wins, but only when the
    results are conclusive (significant, each arm at ``min_sample_size``). Slots outside
    the test are left as they are.
    """
    ab_test = _locked(ab_test)
    _require_status(ab_test, [ABTest.Status.COMPLETED], "promote the winner of")
    arms = {
        ab_test.control_slot_id: ab_test.control_slot,
        ab_test.variant_slot_id: ab_test.variant_slot,
    }
    if winner is None:
        results = ab_test_results(ab_test=ab_test)
        if not results["conclusive"]:
            raise Conflict(
                "The difference is not significant with min_sample_size impressions in each "
                "arm; name the slot to promote explicitly."
            )
        winner = ab_test.variant_slot if results["difference"] > 0 else ab_test.control_slot
    if winner.pk not in arms:
        raise field_error(
            "slot",
            "The winner must be one of the test's two slots.",
            field_message="Choose the control or the variant slot.",
        )
    loser = next(slot for pk, slot in arms.items() if pk != winner.pk)
    DeploymentSlot.objects.filter(pk=winner.pk).update(weight=MAX_WEIGHT, is_active=True)
    DeploymentSlot.objects.filter(pk=loser.pk).update(is_active=False)
    ab_test.winner_slot = winner
    ab_test.save(update_fields=["winner_slot", "updated_at"])
    _announce_slots_changed(ab_test.project_id)
    return ab_test


def ab_test_evaluate(*, ab_test: ABTest) -> dict[str, Any]:
    """Current results; the sequential p-value's running minimum is kept on the test."""
    results = ab_test_results(ab_test=ab_test)
    ABTest.objects.filter(
        pk=ab_test.pk, sequential_p_value__gt=results["sequential_p_value"]
    ).update(sequential_p_value=results["sequential_p_value"])
    return results


def conversion_batch_check(*, size: int) -> None:
    if size == 0:
        raise ValidationFailed("Send at least one event.")
    if size > MAX_CONVERSION_BATCH:
        raise ValidationFailed(
            f"A batch may hold at most {MAX_CONVERSION_BATCH} events; this one has {size}."
        )


def _unknown_request(index: int, request_id: Any) -> ValidationFailed:
    return field_error(
        "recommendation_request_id",
        f"Event {index}: no recommendation with request_id {request_id} was served; use "
        "the request_id returned by the inference API.",
        field_message="Unknown request id.",
    )


def _slot_mismatch(index: int, impression: Impression) -> ValidationFailed:
    served = (
        "without a slot (a direct prediction)"
        if impression.deployment_slot_id is None
        else f"by slot {impression.deployment_slot_id}"
    )
    return field_error(
        "deployment_slot",
        f"Event {index}: request {impression.request_id} was served {served}.",
        field_message="Does not match the slot that served it.",
    )


@transaction.atomic
def conversion_events_create(
    *, visible_impressions: QuerySet[Impression], events: Sequence[dict[str, Any]]
) -> list[ConversionEvent]:
    """Record conversions, all or none, each tied to the impression it converts.

    An event names its impression by ``recommendation_request_id``; that of a direct
    prediction (no slot) is accepted too, for reporting outside A/B tests. An event
    without one is tied to the user's latest impression in its slot within
    ``CONVERSION_ATTRIBUTION_WINDOW_SECONDS``, or else kept unattributed (A/B results
    count those apart): never dropped. Only impressions the caller may see can be
    referred to, so a conversion can never be booked against another tenant's slot.
    """
    conversion_batch_check(size=len(events))
    request_ids = {
        event["recommendation_request_id"]
        for event in events
        if event.get("recommendation_request_id") is not None
    }
    by_request = {
        imp.request_id: imp for imp in visible_impressions.filter(request_id__in=request_ids)
    }
    since = timezone.now() - timedelta(seconds=settings.CONVERSION_ATTRIBUTION_WINDOW_SECONDS)
    latest = impressions_latest(
        impressions=visible_impressions,
        slot_users={
            (event["deployment_slot"].pk, event["user_id"])
            for event in events
            if event.get("recommendation_request_id") is None
        },
        since=since,
    )
    created = []
    for index, event in enumerate(events):
        slot: DeploymentSlot | None = event.get("deployment_slot")
        request_id = event.get("recommendation_request_id")
        if request_id is None:
            assert slot is not None
            impression = latest.get((slot.pk, event["user_id"]))
        else:
            impression = by_request.get(request_id)
            if impression is None:
                raise _unknown_request(index, request_id)
            if slot is not None and slot.pk != impression.deployment_slot_id:
                raise _slot_mismatch(index, impression)
        common = {
            "item_id": event.get("item_id", ""),
            "event_type": event["event_type"],
            "metadata_json": event.get("metadata_json") or {},
        }
        if impression is None:
            assert slot is not None
            created.append(
                ConversionEvent(
                    project_id=slot.project_id,
                    deployment_slot=slot,
                    user_id=event["user_id"],
                    recommendation_request_id=None,
                    **common,
                )
            )
            continue
        created.append(
            ConversionEvent(
                project_id=impression.project_id,
                deployment_slot_id=impression.deployment_slot_id,
                user_id=event.get("user_id") or impression.user_id,
                recommendation_request_id=impression.request_id,
                **common,
            )
        )
    return ConversionEvent.objects.bulk_create(created)
