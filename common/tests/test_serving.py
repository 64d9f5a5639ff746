"""The serving figures' percentiles and summaries, from hand-made hashes."""

from __future__ import annotations

from recotem_common import serving


def test_percentiles_interpolate_inside_their_bucket() -> None:
    # 10 answers in (1, 1.5] ms and 10 in (4, 5] ms.
    buckets = {serving.bucket_of(1.2): 10, serving.bucket_of(4.5): 10}

    assert serving.percentile_ms(buckets, 0.5) == 1.5
    assert serving.percentile_ms(buckets, 0.75) == 4.5
    assert serving.percentile_ms(buckets, 0.99) == 4.98
    assert serving.percentile_ms({}, 0.5) is None


def test_the_open_last_bucket_answers_its_lower_bound() -> None:
    slowest = serving.bucket_of(60_000)

    assert slowest == len(serving.LATENCY_BOUNDS_MS)
    assert serving.percentile_ms({slowest: 3}, 0.99) == serving.LATENCY_BOUNDS_MS[-1]


def test_a_report_has_every_minute_of_its_window_per_slot() -> None:
    now = 600 * 60 + 30.0
    keys = serving.keys_to_read(7, now=now, minutes=3)
    slot = serving.field_prefix(4, 9)
    direct = serving.field_prefix(None, 9)
    replies = [
        {f"{slot}n".encode(): b"2", f"{slot}s200".encode(): b"2", f"{slot}b3".encode(): b"2"},
        {},
        {f"{direct}n": "1", f"{direct}s429": "1", f"{direct}ethrottled": "1"},
        {b"host:1:a": f"{now - 90}:{now - 1}".encode(), b"host:2:b": f"{now - 9000}:{now - 8000}"},
    ]

    report = serving.report(7, replies, now=now, minutes=3)

    assert keys == [
        "recotem:serving:7:598",
        "recotem:serving:7:599",
        "recotem:serving:7:600",
        serving.INSTANCES_KEY,
    ]
    assert (report["since"], report["until"]) == (598 * 60, 601 * 60)
    assert (report["uptime_seconds"], report["instances"]) == (90.0, 1)
    assert report["totals"]["requests"] == 3
    assert report["totals"]["error_codes"] == {"throttled": 1}
    direct_slot, production = report["slots"]
    assert direct_slot["slot_id"] is None
    assert [minute["requests"] for minute in production["minutes"]] == [2, 0, 0]
    assert [minute["errors"] for minute in direct_slot["minutes"]] == [0, 0, 1]
    assert production["minutes"][1]["p50_ms"] is None
    assert [model["model_id"] for model in report["models"]] == [9]
    assert list(serving.stale_instances(replies[-1], now)) == ["host:2:b"]
