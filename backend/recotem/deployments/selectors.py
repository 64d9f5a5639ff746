from __future__ import annotations

import math
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

import redis
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from core.events import model_events_redis
from core.exceptions import SourceUnavailable
from core.functions import UTCDate
from deployments.models import ABTest, ConversionEvent, DeploymentSlot, Impression
from deployments.stats import ArmCounts, compare, msprt_p_value
from projects.models import Project
from recotem_common import serving
from recotem_common.routing import routed_slot_ids

_CLICK, _PURCHASE = ConversionEvent.EventType.CLICK, ConversionEvent.EventType.PURCHASE
# Conversion event types that count as a success for each target metric (the reference's
# table: a conversion is a click or a purchase).
EVENT_TYPES_BY_METRIC = {
    "ctr": (_CLICK,),
    "click_through_rate": (_CLICK,),
    "conversion_rate": (_CLICK, _PURCHASE),
    "purchase_rate": (_PURCHASE,),
}


def _event_types(ab_test: ABTest) -> tuple[str, ...]:
    return EVENT_TYPES_BY_METRIC.get(ab_test.target_metric_name, (_CLICK, _PURCHASE))


# Prior spread of the effect for the sequential test, relative to the pooled rate: a
# relative lift of about 20% is the effect size the mixture is tuned to detect.
RELATIVE_EFFECT_PRIOR = 0.2
MIN_MIXING_SD = 1e-3


def _window(ab_test: ABTest) -> tuple[datetime | None, datetime]:
    return ab_test.started_at, ab_test.ended_at or timezone.now()


def _impressions(ab_test: ABTest, slot: DeploymentSlot) -> QuerySet[Impression]:
    start, end = _window(ab_test)
    queryset = Impression.objects.filter(deployment_slot=slot, timestamp__lte=end)
    return queryset.filter(timestamp__gte=start) if start else queryset.none()


def _converting(ab_test: ABTest) -> QuerySet[ConversionEvent, Any]:
    """Request ids with a conversion of the test's metric: an impression converts once
    however many events name it, never more than shown."""
    return ConversionEvent.objects.filter(
        event_type__in=_event_types(ab_test), recommendation_request_id__isnull=False
    ).values("recommendation_request_id")


def _unattributed(ab_test: ABTest, slot: DeploymentSlot) -> int:
    """Conversions in the test's window tied to no impression: reported, not in the rates."""
    start, end = _window(ab_test)
    if start is None:
        return 0
    return ConversionEvent.objects.filter(
        deployment_slot=slot,
        recommendation_request_id__isnull=True,
        event_type__in=_event_types(ab_test),
        timestamp__gte=start,
        timestamp__lte=end,
    ).count()


def _daily(ab_test: ABTest, slot: DeploymentSlot) -> dict[date, ArmCounts]:
    """Impressions and converted impressions per day, in one pass over the arm's rows."""
    rows = (
        _impressions(ab_test, slot)
        .annotate(day=UTCDate("timestamp"))
        .values("day")
        .annotate(
            shown=Count("id"),
            conversions=Count("id", filter=Q(request_id__in=_converting(ab_test))),
        )
        .values_list("day", "shown", "conversions")
    )
    return {day: ArmCounts(shown, conversions) for day, shown, conversions in rows}


def ab_test_timeseries(*, ab_test: ABTest) -> list[dict[str, Any]]:
    """Daily and cumulative counts per arm, for charts and the sequential test."""
    control = _daily(ab_test, ab_test.control_slot)
    variant = _daily(ab_test, ab_test.variant_slot)
    totals = {"control": ArmCounts(0, 0), "variant": ArmCounts(0, 0)}
    series = []
    for day in sorted(set(control) | set(variant)):
        row: dict[str, Any] = {"date": day.isoformat()}
        for arm, daily in (("control", control), ("variant", variant)):
            counts = daily.get(day, ArmCounts(0, 0))
            total = totals[arm] = ArmCounts(
                totals[arm].impressions + counts.impressions,
                totals[arm].conversions + counts.conversions,
            )
            row.update(
                {
                    f"{arm}_impressions": counts.impressions,
                    f"{arm}_conversions": counts.conversions,
                    f"{arm}_rate": counts.rate,
                    f"{arm}_cumulative_impressions": total.impressions,
                    f"{arm}_cumulative_conversions": total.conversions,
                    f"{arm}_cumulative_rate": total.rate,
                }
            )
        series.append(row)
    return series


def impressions_latest(
    *, impressions: QuerySet[Impression], slot_users: set[tuple[int, str]], since: datetime
) -> dict[tuple[int, str], Impression]:
    """Each (slot id, user id)'s latest impression since ``since``, where there is one."""
    if not slot_users:
        return {}
    candidates = impressions.filter(
        deployment_slot_id__in={slot_id for slot_id, _ in slot_users},
        user_id__in={user_id for _, user_id in slot_users},
        timestamp__gte=since,
    ).order_by("timestamp", "id")
    latest = {}
    for impression in candidates.iterator():
        key = (impression.deployment_slot_id, impression.user_id)
        if key in slot_users:
            latest[key] = impression
    return latest


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def ab_test_results(*, ab_test: ABTest) -> dict[str, Any]:
    # Each day's cumulative counts are the sequential test's looks; the last look is the
    # whole window, so the totals come from the same two queries.
    checkpoints = [
        (
            ArmCounts(row["control_cumulative_impressions"], row["control_cumulative_conversions"]),
            ArmCounts(row["variant_cumulative_impressions"], row["variant_cumulative_conversions"]),
        )
        for row in ab_test_timeseries(ab_test=ab_test)
    ] or [(ArmCounts(0, 0), ArmCounts(0, 0))]
    control, variant = checkpoints[-1]
    comparison = compare(control, variant, confidence_level=ab_test.confidence_level)
    total = control.impressions + variant.impressions
    pooled = (control.conversions + variant.conversions) / total if total else 0.0
    sequential = min(
        ab_test.sequential_p_value,
        msprt_p_value(checkpoints, mixing_sd=max(MIN_MIXING_SD, RELATIVE_EFFECT_PRIOR * pooled)),
    )
    alpha = 1 - ab_test.confidence_level
    significant = comparison.p_value < alpha
    each_arm_sufficient = min(control.impressions, variant.impressions) >= ab_test.min_sample_size
    low, high = comparison.confidence_interval
    # The reference's fields keep its meaning: lift in percent (0 without a control
    # rate), significance from the p-value alone, and enough data once both arms
    # together reach min_sample_size. Ours, beside them, ask each arm to reach it.
    return {
        "ab_test_id": ab_test.pk,
        "status": ab_test.status,
        "target_metric_name": ab_test.target_metric_name,
        "control_slot": ab_test.control_slot_id,
        "variant_slot": ab_test.variant_slot_id,
        "control_impressions": control.impressions,
        "control_conversions": control.conversions,
        "control_rate": control.rate,
        "variant_impressions": variant.impressions,
        "variant_conversions": variant.conversions,
        "variant_rate": variant.rate,
        "control_unattributed_conversions": _unattributed(ab_test, ab_test.control_slot),
        "variant_unattributed_conversions": _unattributed(ab_test, ab_test.variant_slot),
        "lift": 100 * (_finite(comparison.lift) or 0.0),
        "relative_lift": _finite(comparison.lift),
        "difference": comparison.difference,
        "z_score": comparison.z_score,
        "p_value": comparison.p_value,
        "confidence_level": ab_test.confidence_level,
        "confidence_interval": [low, high],
        "significant": significant,
        "min_sample_size": ab_test.min_sample_size,
        "sufficient_data": total >= ab_test.min_sample_size,
        "sufficient_data_per_arm": each_arm_sufficient,
        "conclusive": significant and each_arm_sufficient,
        "sequential_p_value": sequential,
        "sequential_significant": sequential < alpha,
    }


def project_production(*, project_id: int) -> dict[str, Any]:
    """Active slots with the share of traffic each receives, and the running tests.

    The split follows the inference service's routing (``recotem_common.routing``):
    while an A/B test runs, only its two slots receive traffic, in proportion to their
    weights.
    """
    slots: list[dict[str, Any]] = [
        dict(row)
        for row in DeploymentSlot.objects.filter(project_id=project_id, is_active=True)
        .order_by("id")
        .values("id", "name", "trained_model", "weight")
    ]
    running = list(
        ABTest.objects.filter(project_id=project_id, status=ABTest.Status.RUNNING)
        .order_by("id")
        .values("id", "name", "control_slot", "variant_slot", "started_at")
    )
    routed = set(
        routed_slot_ids(
            [s["id"] for s in slots], [(t["control_slot"], t["variant_slot"]) for t in running]
        )
    )
    total = sum(s["weight"] for s in slots if s["id"] in routed)
    for slot in slots:
        slot["traffic_share"] = slot["weight"] / total if total and slot["id"] in routed else 0.0
    return {"active_slots": slots, "running_ab_tests": running}


# The dashboard's window of daily traffic, today included.
TRAFFIC_DAYS = 30
CONVERTING_EVENT_TYPES = (_CLICK, _PURCHASE)


def project_daily_traffic(
    *, project_id: int, today: date, days: int = TRAFFIC_DAYS
) -> dict[str, Any]:
    """Impressions and conversions (clicks and purchases) per UTC day for each slot of a
    project, over the ``days`` days ending ``today``, zeros included; three queries
    whatever the number of slots and days."""
    start = today - timedelta(days=days - 1)
    dates = [start + timedelta(days=offset) for offset in range(days)]
    index = {day: position for position, day in enumerate(dates)}
    since = datetime.combine(start, datetime.min.time(), tzinfo=UTC)
    slots: dict[int, dict[str, Any]] = {
        row["id"]: {**row, "impressions": [0] * days, "conversions": [0] * days}
        for row in DeploymentSlot.objects.filter(project_id=project_id)
        .order_by("name", "id")
        .values("id", "name", "is_active")
    }
    counted: tuple[tuple[str, QuerySet[Any]], ...] = (
        ("impressions", Impression.objects.filter(project_id=project_id)),
        (
            "conversions",
            ConversionEvent.objects.filter(
                project_id=project_id, event_type__in=CONVERTING_EVENT_TYPES
            ),
        ),
    )
    for series, queryset in counted:
        rows = (
            queryset.filter(deployment_slot__isnull=False, timestamp__gte=since)
            .annotate(day=UTCDate("timestamp"))
            .order_by()
            .values("deployment_slot", "day")
            .annotate(n=Count("id"))
            .values_list("deployment_slot", "day", "n")
        )
        for slot_id, day, n in rows:
            if slot_id in slots and day in index:
                slots[slot_id][series][index[day]] = n
    return {"dates": dates, "slots": list(slots.values())}


def serving_figures(*, project: Project, minutes: int) -> dict[str, Any]:
    """The inference service's figures for ``project`` over the last ``minutes``, as
    every worker counted them (``recotem_common.serving``), with each slot's name."""
    now = time.time()
    try:
        with model_events_redis().pipeline(transaction=False) as pipe:
            for key in serving.keys_to_read(project.pk, now=now, minutes=minutes):
                pipe.hgetall(key)
            replies = pipe.execute()
    except redis.RedisError as exc:
        raise SourceUnavailable(
            "The serving figures could not be read from Redis (MODEL_EVENTS_REDIS_URL); "
            "try again once it is reachable."
        ) from exc
    figures = serving.report(project.pk, replies, now=now, minutes=minutes)
    names = dict(DeploymentSlot.objects.filter(project=project).values_list("pk", "name"))
    for slot in figures["slots"]:
        # None for requests straight to a model, and for a slot deleted since.
        slot["slot_name"] = names.get(slot["slot_id"])
    return figures
