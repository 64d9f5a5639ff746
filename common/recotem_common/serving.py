"""Serving figures: what the inference service answered, per project, slot and model.

Every inference worker adds its counts to one Redis hash per project and minute, so the
figures cover all workers and processes; the backend and the inference service read them
through :func:`summarize`. The layout is defined here once:

``recotem:serving:<project_id>:<minute>`` (minute = Unix time // 60), fields
``<slot>|<model>|<what>`` where slot and model are ids or ``-`` (a request straight to a
model has no slot; a request refused before its model was known has no model), and
``what`` is ``n`` (requests), ``s<status>`` (answers by HTTP status), ``e<code>`` (error
answers by error code) or ``b<index>`` (answers per latency bucket of
:data:`LATENCY_BOUNDS_MS`). Hashes expire after :data:`RETENTION_SECONDS`.

``recotem:serving:instances`` maps each worker (``host:pid``) to ``started:seen`` Unix
times, refreshed on every flush, from which the service's uptime is read.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

KEY_PREFIX = "recotem:serving"
INSTANCES_KEY = f"{KEY_PREFIX}:instances"
RETENTION_SECONDS = 2 * 3600 + 300
MAX_MINUTES = 120
# A worker that has not flushed for this long is gone (its flushes come every second).
INSTANCE_STALE_SECONDS = 30.0
NO_ID = "-"
REQUESTS = "n"
STATUS = "s"
ERROR = "e"
BUCKET = "b"
# Upper bounds of the latency buckets in milliseconds; the last bucket is open.
LATENCY_BOUNDS_MS: tuple[float, ...] = (
    0.5, 1, 1.5, 2, 3, 4, 5, 7.5, 10, 15, 20, 30, 40, 50, 75,
    100, 150, 200, 300, 500, 750, 1000, 2000, 5000,
)  # fmt: skip


def minute_of(unix_seconds: float) -> int:
    return int(unix_seconds // 60)


def figures_key(project_id: int, minute: int) -> str:
    return f"{KEY_PREFIX}:{project_id}:{minute}"


def bucket_of(elapsed_ms: float) -> int:
    return bisect.bisect_left(LATENCY_BOUNDS_MS, elapsed_ms)


def field_prefix(slot_id: int | None, model_id: int | None) -> str:
    slot = NO_ID if slot_id is None else str(slot_id)
    model = NO_ID if model_id is None else str(model_id)
    return f"{slot}|{model}|"


# One kind of answer as a worker counts it in memory: slot id, model id, HTTP status,
# error code (None below 400) and latency bucket (:func:`bucket_of`).
Answer = tuple[int | None, int | None, int, str | None, int]


def answer_counts(answers: Mapping[Answer, int]) -> dict[str, int]:
    """The hash fields, with what to add to each, for ``answers`` counted in memory."""
    counts: dict[str, int] = defaultdict(int)
    for (slot_id, model_id, status, error_code, bucket), count in answers.items():
        prefix = field_prefix(slot_id, model_id)
        counts[prefix + REQUESTS] += count
        counts[f"{prefix}{STATUS}{status}"] += count
        counts[f"{prefix}{BUCKET}{bucket}"] += count
        if status >= 400:
            counts[f"{prefix}{ERROR}{error_code or status}"] += count
    return dict(counts)


def add_counts(pipe: Any, project_id: int, minute: int, counts: Mapping[str, int]) -> None:
    """Queue on a Redis pipeline (sync or asyncio) the commands adding ``counts`` to the
    project's hash of that minute, which expires :data:`RETENTION_SECONDS` after it."""
    key = figures_key(project_id, minute)
    for name, count in counts.items():
        pipe.hincrby(key, name, count)
    pipe.expireat(key, minute * 60 + RETENTION_SECONDS)


def percentile_ms(buckets: Mapping[int, int], fraction: float) -> float | None:
    """The latency below which ``fraction`` of the answers fell, interpolated linearly
    inside its bucket (the open last bucket answers its lower bound)."""
    total = sum(buckets.values())
    if total == 0:
        return None
    rank = fraction * total
    seen = 0
    for index in sorted(buckets):
        count = buckets[index]
        if count and seen + count >= rank:
            lower = LATENCY_BOUNDS_MS[index - 1] if index > 0 else 0.0
            if index >= len(LATENCY_BOUNDS_MS):
                return lower
            upper = LATENCY_BOUNDS_MS[index]
            return round(lower + (upper - lower) * (rank - seen) / count, 3)
        seen += count
    return LATENCY_BOUNDS_MS[-1]


@dataclass
class Tally:
    """Counts of one slot or model over some minutes."""

    requests: int = 0
    statuses: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    error_codes: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    buckets: dict[int, int] = field(default_factory=lambda: defaultdict(int))

    def add(self, what: str, count: int) -> None:
        kind, rest = what[:1], what[1:]
        if kind == REQUESTS:
            self.requests += count
        elif kind == STATUS:
            self.statuses[rest] += count
        elif kind == ERROR:
            self.error_codes[rest] += count
        elif kind == BUCKET and rest.isdigit():
            self.buckets[int(rest)] += count

    def merge(self, other: Tally) -> None:
        self.requests += other.requests
        for name, source in (("statuses", other.statuses), ("error_codes", other.error_codes)):
            target = getattr(self, name)
            for key, count in source.items():
                target[key] += count
        for index, count in other.buckets.items():
            self.buckets[index] += count

    def as_dict(self, *, detailed: bool) -> dict[str, Any]:
        errors = sum(count for status, count in self.statuses.items() if int(status) >= 400)
        figures: dict[str, Any] = {
            "requests": self.requests,
            "successes": self.requests - errors,
            "errors": errors,
            "error_rate": round(errors / self.requests, 4) if self.requests else 0.0,
            "p50_ms": percentile_ms(self.buckets, 0.5),
            "p99_ms": percentile_ms(self.buckets, 0.99),
        }
        if detailed:
            figures["statuses"] = dict(sorted(self.statuses.items()))
            figures["error_codes"] = dict(sorted(self.error_codes.items()))
        return figures


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _id(text: str) -> int | None:
    return None if text == NO_ID else int(text)


def summarize(
    hashes: Mapping[int, Mapping[bytes | str, bytes | str]],
    *,
    first_minute: int,
    last_minute: int,
) -> dict[str, Any]:
    """The figures of one project from its per-minute hashes (minute -> HGETALL):
    totals, per model, and per slot with one entry for every minute of the window."""
    per_slot: dict[int | None, dict[int, Tally]] = defaultdict(lambda: defaultdict(Tally))
    per_model: dict[int | None, Tally] = defaultdict(Tally)
    slot_models: dict[int | None, set[int]] = defaultdict(set)
    for minute, fields in hashes.items():
        for raw_field, raw_count in fields.items():
            slot, model, what = _text(raw_field).split("|", 2)
            count = int(raw_count)
            slot_id, model_id = _id(slot), _id(model)
            per_slot[slot_id][minute].add(what, count)
            per_model[model_id].add(what, count)
            if model_id is not None:
                slot_models[slot_id].add(model_id)
    total = Tally()
    slots = []
    for slot_id in sorted(per_slot, key=lambda slot: (slot is not None, slot or 0)):
        slot_total = Tally()
        for tally in per_slot[slot_id].values():
            slot_total.merge(tally)
        total.merge(slot_total)
        slots.append(
            {
                "slot_id": slot_id,
                "model_ids": sorted(slot_models[slot_id]),
                "totals": slot_total.as_dict(detailed=True),
                "minutes": [
                    {
                        "minute": minute * 60,
                        **per_slot[slot_id].get(minute, Tally()).as_dict(detailed=False),
                    }
                    for minute in range(first_minute, last_minute + 1)
                ],
            }
        )
    models = [
        {"model_id": model_id, "totals": tally.as_dict(detailed=True)}
        for model_id, tally in sorted(per_model.items(), key=lambda item: item[0] or 0)
    ]
    return {"totals": total.as_dict(detailed=True), "slots": slots, "models": models}


def window(now: float, minutes: int) -> tuple[int, int]:
    """The first and last minute of the ``minutes`` up to ``now`` (the current one included)."""
    last = minute_of(now)
    return last - minutes + 1, last


def keys_to_read(project_id: int, *, now: float, minutes: int) -> list[str]:
    """The hashes a reader fetches (HGETALL each, in one pipeline) for :func:`report`:
    the window's minutes, then the workers."""
    first, last = window(now, minutes)
    return [figures_key(project_id, minute) for minute in range(first, last + 1)] + [INSTANCES_KEY]


def report(
    project_id: int,
    replies: list[Mapping[bytes | str, bytes | str]],
    *,
    now: float,
    minutes: int,
) -> dict[str, Any]:
    """One project's figures from the HGETALL replies for :func:`keys_to_read`."""
    first, last = window(now, minutes)
    *per_minute, instances = replies
    hashes = {first + offset: fields for offset, fields in enumerate(per_minute) if fields}
    return {
        "project_id": project_id,
        "minutes": minutes,
        "since": first * 60,
        "until": (last + 1) * 60,
        "uptime_seconds": uptime_seconds(instances, now),
        "instances": live_instances(instances, now),
        **summarize(hashes, first_minute=first, last_minute=last),
    }


def uptime_seconds(instances: Mapping[bytes | str, bytes | str], now: float) -> float | None:
    """Seconds since the oldest worker still flushing started, or None when none is."""
    started = []
    for value in instances.values():
        began, _, seen = _text(value).partition(":")
        if now - float(seen) <= INSTANCE_STALE_SECONDS:
            started.append(float(began))
    return round(now - min(started), 1) if started else None


def live_instances(instances: Mapping[bytes | str, bytes | str], now: float) -> int:
    return sum(
        now - float(_text(value).partition(":")[2]) <= INSTANCE_STALE_SECONDS
        for value in instances.values()
    )


def stale_instances(instances: Mapping[bytes | str, bytes | str], now: float) -> Iterable[str]:
    """Workers gone long enough that their entry can be removed."""
    return [
        _text(name)
        for name, value in instances.items()
        if now - float(_text(value).partition(":")[2]) > RETENTION_SECONDS
    ]
