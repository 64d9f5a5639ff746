"""Cron expressions of retraining schedules: validation, a sentence for people, the next run."""

from __future__ import annotations

import itertools
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from cron_descriptor import Options, get_description
from croniter import croniter

from core.exceptions import field_error

CRON_FIELDS = ("minute", "hour", "day_of_month", "month_of_year", "day_of_week")


def cron_fields(expression: str) -> dict[str, str]:
    """The five fields of a standard cron expression, or a 400 that says what is wrong."""
    parts = expression.split()
    if len(parts) != len(CRON_FIELDS):
        raise field_error(
            "cron_expression",
            f"A cron expression has 5 fields (minute hour day-of-month month day-of-week); "
            f"'{expression}' has {len(parts)}. Example: '0 2 * * 0' is every Sunday at 02:00.",
            field_message="Use five space-separated fields.",
        )
    if not croniter.is_valid(expression):
        raise field_error(
            "cron_expression",
            f"'{expression}' is not a valid cron expression.",
            field_message="Check each field's range, e.g. minute 0-59.",
        )
    return dict(zip(CRON_FIELDS, parts, strict=True))


# Firings compared to find the shortest gap of an expression: enough to cover the
# irregular gaps of lists and ranges within an hour and a day.
FIRINGS_COMPARED = 64


def check_interval(expression: str, timezone_name: str, minimum_minutes: int) -> None:
    """A 400 when two firings of the expression come closer than ``minimum_minutes``."""
    firings = croniter(expression, datetime.now(zone(timezone_name)))
    times = [firings.get_next(datetime) for _ in range(FIRINGS_COMPARED)]
    shortest = min(later - earlier for earlier, later in itertools.pairwise(times))
    if shortest.total_seconds() < minimum_minutes * 60:
        raise field_error(
            "cron_expression",
            f"'{expression}' fires every {shortest.total_seconds() / 60:g} minutes at times; "
            f"schedules may fire at most once every {minimum_minutes} minutes "
            "(RETRAINING_MIN_INTERVAL_MINUTES). Example: '0 2 * * *' is daily at 02:00.",
            field_message=f"Fire at most once every {minimum_minutes} minutes.",
        )


def zone(name: str) -> ZoneInfo:
    try:
        if name in available_timezones():
            return ZoneInfo(name)
    except ZoneInfoNotFoundError:
        pass
    raise field_error(
        "timezone",
        f"Unknown time zone '{name}'; use an IANA name such as 'UTC' or 'Asia/Tokyo'.",
        field_message="Unknown time zone.",
    )


def describe(expression: str, timezone_name: str) -> str:
    options = Options()
    options.use_24hour_time_format = True
    return f"{get_description(expression, options)} ({timezone_name})"


def next_run(expression: str, timezone_name: str, after: datetime) -> datetime:
    return croniter(expression, after.astimezone(zone(timezone_name))).get_next(datetime)
