"""How a time column becomes timestamps; validation and loading apply the same rule.

Accepted: native timestamps and dates, Unix time in seconds (integers or decimals,
as numbers or text), ISO 8601 text with or without an offset (offsets are converted to
UTC), and ``YYYY/MM/DD[ HH:MM[:SS]]``. A column keeps to the format of its first value.
Results are naive ``timestamp[ns]`` in UTC.
"""

from __future__ import annotations

from collections.abc import Callable

import pyarrow as pa
import pyarrow.compute as pc

NS_PER_SECOND = 1_000_000_000
TIMESTAMP_NS = pa.timestamp("ns")
ACCEPTED_TIME_TEXT = (
    "a date/time (ISO 8601 such as 2024-05-31T12:00:00, or 2024/05/31 12:00) "
    "or a Unix time in seconds"
)

Parser = Callable[[pa.Array], pa.Array]


class BadTimeValueError(ValueError):
    """The value at ``index`` of the array passed in cannot be read as a time."""

    def __init__(self, index: int, value: object, reason: str = "") -> None:
        super().__init__(f"bad time value at {index}: {value!r}")
        self.index = index
        self.value = value
        self.reason = reason


def _from_seconds(values: pa.Array) -> pa.Array:
    if pa.types.is_integer(values.type):
        nanos = pc.multiply_checked(values.cast(pa.int64()), NS_PER_SECOND)
        return nanos.cast(TIMESTAMP_NS)
    seconds = values.cast(pa.float64())
    nanos = pc.round(pc.multiply(seconds, float(NS_PER_SECOND)))
    return nanos.cast(pa.int64()).cast(TIMESTAMP_NS)


def _epoch_text(values: pa.Array) -> pa.Array:
    try:
        return _from_seconds(values.cast(pa.int64()))
    except pa.ArrowInvalid:
        return _from_seconds(values.cast(pa.float64()))


def _iso_text(values: pa.Array) -> pa.Array:
    try:
        return values.cast(TIMESTAMP_NS)
    except pa.ArrowInvalid:
        return values.cast(pa.timestamp("ns", tz="UTC")).cast(TIMESTAMP_NS)


def _strptime(pattern: str) -> Parser:
    def parse(values: pa.Array) -> pa.Array:
        return pc.strptime(values, format=pattern, unit="ns")

    return parse


TEXT_PARSERS: tuple[Parser, ...] = (
    _epoch_text,
    _iso_text,
    _strptime("%Y/%m/%d %H:%M:%S"),
    _strptime("%Y/%m/%d %H:%M"),
    _strptime("%Y/%m/%d"),
)


def _parses(values: pa.Array, parser: Parser) -> bool:
    try:
        parser(values)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return False
    return True


def _first_failure(values: pa.Array, parser: Parser) -> int:
    """Index of the first value ``parser`` rejects, by bisecting on prefixes."""
    good, bad = 0, len(values)
    while bad - good > 1:
        middle = (good + bad) // 2
        if _parses(values.slice(0, middle), parser):
            good = middle
        else:
            bad = middle
    return bad - 1


class TimeColumnParser:
    """Parses successive batches of one column, holding them to one text format."""

    def __init__(self) -> None:
        self._text_parser: Parser | None = None

    def parse(self, values: pa.Array) -> pa.Array:
        if values.null_count:
            index = pc.index(values.is_null(), True).as_py()
            raise BadTimeValueError(index, None)
        kind = values.type
        if pa.types.is_string(kind) or pa.types.is_large_string(kind):
            return self._parse_text(values)
        if pa.types.is_integer(kind) or pa.types.is_floating(kind):
            return self._apply(values, _from_seconds)
        if pa.types.is_timestamp(kind) or pa.types.is_date(kind):
            return self._apply(values, _native)
        raise BadTimeValueError(0, values[0].as_py(), f"the column holds {kind} values")

    def _parse_text(self, values: pa.Array) -> pa.Array:
        if len(values) == 0:
            return pa.array([], TIMESTAMP_NS)
        if self._text_parser is None:
            first = values.slice(0, 1)
            chosen = next((p for p in TEXT_PARSERS if _parses(first, p)), None)
            if chosen is None:
                raise BadTimeValueError(0, values[0].as_py())
            self._text_parser = chosen
        return self._apply(values, self._text_parser)

    @staticmethod
    def _apply(values: pa.Array, parser: Parser) -> pa.Array:
        try:
            return parser(values)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
            index = _first_failure(values, parser)
            raise BadTimeValueError(index, values[index].as_py()) from exc


def _native(values: pa.Array) -> pa.Array:
    if pa.types.is_timestamp(values.type) and values.type.tz is not None:
        values = values.cast(pa.timestamp(values.type.unit, tz="UTC"))
        values = values.cast(pa.timestamp(values.type.unit))
    return values.cast(TIMESTAMP_NS)
