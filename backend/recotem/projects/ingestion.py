"""Uploaded tables as the rest of Recotem sees them: statistics, previews and DataFrames.

Validation (``inspect_*``) and loading (``load_*``) walk the file with the same scan, so a
file that validates always loads, with the same ids and timestamps.

pandas (and the NumPy it is fed with) is imported inside the functions that build
DataFrames: the ingestion worker validates with Arrow alone and does not load it
(docs/benchmarks.md, "Upload and validation").
"""

from __future__ import annotations

import datetime
import decimal
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc
from django.conf import settings

from core.exceptions import Conflict, ValidationFailed
from projects.models import ItemMetaData, TrainingData, Upload, ValidationStatus
from projects.readers import (
    DataFileError,
    StoredFile,
    TableSource,
    format_label,
    open_table,
)
from projects.timestamps import ACCEPTED_TIME_TEXT, BadTimeValueError, TimeColumnParser
from recotem_common.limits import MAX_ID_LENGTH

if TYPE_CHECKING:
    import pandas as pd


# Distinct ids are kept as Arrow arrays of uniques, merged once the unmerged part grows
# past what is already known, so memory follows the number of distinct ids, not of rows.
MIN_MERGE_SIZE = 1 << 16


class DistinctCounter:
    def __init__(self) -> None:
        self._parts: list[pa.Array] = []
        self._merged = 0
        self._unmerged = 0

    def add(self, values: pa.Array) -> None:
        uniques = pc.unique(values)
        self._parts.append(uniques)
        self._unmerged += len(uniques)
        if self._unmerged > max(MIN_MERGE_SIZE, self._merged):
            self._merge()

    def _merge(self) -> None:
        merged = pc.unique(pa.concat_arrays(self._parts)) if self._parts else None
        self._parts = [merged] if merged is not None else []
        self._merged = len(merged) if merged is not None else 0
        self._unmerged = 0

    @property
    def count(self) -> int:
        self._merge()
        return self._merged


@dataclass(frozen=True)
class TableStats:
    file_format: str
    columns: list[str]
    n_rows: int
    n_items: int
    n_users: int | None = None


@dataclass
class InteractionBatch:
    users: pa.Array
    items: pa.Array
    times: pa.Array | None


@dataclass
class _Scan:
    """One pass over a table with the roles of its columns."""

    source: TableSource
    id_columns: dict[str, str]
    time_column: str | None = None
    rows: int = field(default=0, init=False)

    def require_columns(self) -> None:
        wanted = {**self.id_columns}
        if self.time_column:
            wanted["time"] = self.time_column
        found = self.source.columns
        for role, name in wanted.items():
            if name not in found:
                listed = ", ".join(f"'{c}'" for c in found)
                raise DataFileError(
                    f"The {role} column '{name}' is missing. Columns found: {listed}."
                    + _separator_hint(found)
                )

    def batches(self, columns: list[str] | None) -> Iterator[tuple[int, pa.RecordBatch]]:
        for batch in self.source.batches(columns):
            self.rows = batch.first_record + batch.data.num_rows
            yield batch.first_record, batch.data

    def ids(self, data: pa.RecordBatch, first: int, column: str) -> pa.Array:
        values = data.column(column)
        if not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)):
            try:
                values = values.cast(pa.string())
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
                raise DataFileError(
                    f"The column '{column}' holds {values.type} values, "
                    "which cannot be used as ids."
                ) from exc
        empty = pc.or_kleene(values.is_null(), pc.equal(pc.binary_length(values), 0))
        if pc.any(empty).as_py():
            where = self.source.where(first + pc.index(empty, True).as_py())
            raise DataFileError(f"{where}: the {column} value is empty.")
        # Longer ids could never be asked for: the inference service refuses them.
        too_long = pc.greater(pc.utf8_length(values.cast(pa.string())), MAX_ID_LENGTH)
        if pc.any(too_long).as_py():
            where = self.source.where(first + pc.index(too_long, True).as_py())
            raise DataFileError(
                f"{where}: the {column} value is longer than {MAX_ID_LENGTH} characters, "
                "the longest id recommendations can be asked for; shorten the ids."
            )
        return values.cast(pa.string())

    def times(self, data: pa.RecordBatch, first: int, parser: TimeColumnParser) -> pa.Array:
        assert self.time_column is not None
        try:
            return parser.parse(data.column(self.time_column))
        except BadTimeValueError as exc:
            where = self.source.where(first + exc.index)
            if exc.value in (None, ""):
                raise DataFileError(f"{where}: the {self.time_column} value is empty.") from exc
            reason = f" ({exc.reason})" if exc.reason else ""
            raise DataFileError(
                f"{where}: {exc.value!r} in column '{self.time_column}' is not "
                f"{ACCEPTED_TIME_TEXT}{reason}."
            ) from exc

    def require_rows(self) -> None:
        if self.rows == 0:
            raise DataFileError("The file has column names but no data rows.")


def _separator_hint(found: list[str]) -> str:
    if len(found) != 1:
        return ""
    for separator, name in (("\t", "tabs"), (";", "semicolons"), ("|", "pipes")):
        if separator in found[0]:
            return f" The header seems to be separated by {name}; use commas (.csv) or tabs (.tsv)."
    return ""


def _interaction_batches(
    source: TableSource,
    *,
    user_column: str,
    item_column: str,
    time_column: str | None,
    all_columns: bool,
) -> Iterator[InteractionBatch]:
    scan = _Scan(source, {"user": user_column, "item": item_column}, time_column)
    scan.require_columns()
    wanted = [user_column, item_column] + ([time_column] if time_column else [])

    def generate() -> Iterator[InteractionBatch]:
        parser = TimeColumnParser()
        for first, data in scan.batches(None if all_columns else wanted):
            yield InteractionBatch(
                users=scan.ids(data, first, user_column),
                items=scan.ids(data, first, item_column),
                times=scan.times(data, first, parser) if time_column else None,
            )
        scan.require_rows()

    return generate()


def stored_file(upload: Upload) -> StoredFile:
    stored = upload.file
    if not stored:
        raise ValidationFailed(
            f"The file of {upload.basename or 'this upload'} was removed (unlinked)."
        )
    name: str = stored.name or ""
    return StoredFile(
        opener=lambda: stored.storage.open(name, "rb"),
        name=upload.basename or name,
        max_decompressed_size=settings.MAX_DECOMPRESSED_SIZE,
    )


def inspect_interactions(
    stored: StoredFile, *, user_column: str, item_column: str, time_column: str | None
) -> TableStats:
    """Reads the whole file once, checking every row; raises ``DataFileError``."""
    with open_table(stored) as source:
        batches = _interaction_batches(
            source,
            user_column=user_column,
            item_column=item_column,
            time_column=time_column,
            all_columns=True,
        )
        users, items, rows = DistinctCounter(), DistinctCounter(), 0
        for batch in batches:
            users.add(batch.users)
            items.add(batch.items)
            rows += len(batch.users)
        return TableStats(
            file_format=format_label(source, stored),
            columns=list(source.columns),
            n_rows=rows,
            n_users=users.count,
            n_items=items.count,
        )


def inspect_item_metadata(stored: StoredFile, *, item_column: str) -> TableStats:
    with open_table(stored) as source:
        scan = _Scan(source, {"item": item_column})
        scan.require_columns()
        items = DistinctCounter()
        for first, data in scan.batches(None):
            items.add(scan.ids(data, first, item_column))
        scan.require_rows()
        return TableStats(
            file_format=format_label(source, stored),
            columns=list(source.columns),
            n_rows=scan.rows,
            n_items=items.count,
        )


def _require_valid(upload: Upload) -> None:
    if upload.validation_status != ValidationStatus.VALID:
        raise Conflict(
            f"{upload.basename or 'This file'} cannot be used: its validation status "
            f"is {upload.validation_status}."
        )


def _object_strings(parts: list[pa.Array]) -> Any:
    import numpy as np

    values = pa.chunked_array(parts, pa.string()).to_numpy(zero_copy_only=False)
    return np.asarray(values, dtype=object)


def load_interactions(training_data: TrainingData) -> pd.DataFrame:
    """The user, item and (if configured) time columns of a VALID upload, in file order.

    User and item ids are Python ``str`` (object dtype); the time column is
    ``datetime64[ns]`` in UTC (naive). Raises ``ApplicationError`` when the data is
    not VALID or its file is gone.
    """
    import pandas as pd

    _require_valid(training_data)
    project = training_data.project
    users: list[pa.Array] = []
    items: list[pa.Array] = []
    times: list[pa.Array] = []
    try:
        with open_table(stored_file(training_data)) as source:
            batches = _interaction_batches(
                source,
                user_column=project.user_column,
                item_column=project.item_column,
                time_column=project.time_column or None,
                all_columns=False,
            )
            for batch in batches:
                users.append(batch.users)
                items.append(batch.items)
                if batch.times is not None:
                    times.append(batch.times)
    except DataFileError as exc:
        raise ValidationFailed(f"{training_data.basename}: {exc.message}") from exc
    columns: dict[str, Any] = {
        project.user_column: pd.Series(_object_strings(users), dtype=object),
        project.item_column: pd.Series(_object_strings(items), dtype=object),
    }
    if project.time_column:
        chunked = pa.chunked_array(times, pa.timestamp("ns"))
        columns[project.time_column] = pd.Series(chunked.to_numpy(), dtype="datetime64[ns]")
    return pd.DataFrame(columns)


def _item_metadata_table(item_meta_data: ItemMetaData) -> tuple[pa.Table | None, Any, list[str]]:
    """The rows of a VALID item-metadata upload, its item ids as ``str`` and its columns."""
    _require_valid(item_meta_data)
    item_column = item_meta_data.project.item_column
    parts: list[pa.RecordBatch] = []
    ids: list[pa.Array] = []
    try:
        with open_table(stored_file(item_meta_data)) as source:
            scan = _Scan(source, {"item": item_column})
            scan.require_columns()
            for first, data in scan.batches(None):
                ids.append(scan.ids(data, first, item_column))
                parts.append(data)
            columns = list(source.columns)
    except DataFileError as exc:
        raise ValidationFailed(f"{item_meta_data.basename}: {exc.message}") from exc
    table = pa.Table.from_batches(parts) if parts else None
    return table, _object_strings(ids), columns


def load_item_metadata(item_meta_data: ItemMetaData) -> pd.DataFrame:
    """Every column of a VALID item-metadata upload; the item column is ``str`` (object).

    CSV and TSV columns are text; JSON lines and Parquet keep their own types.
    """
    import pandas as pd

    table, ids, columns = _item_metadata_table(item_meta_data)
    frame = table.to_pandas() if table is not None else _empty_frame(columns)
    frame[item_meta_data.project.item_column] = pd.Series(ids, index=frame.index, dtype=object)
    return frame


def item_metadata_fields(item_meta_data: ItemMetaData) -> tuple[list[str], dict[str, list[Any]]]:
    """A VALID item-metadata upload as item ids and JSON values per field (every column
    but the item column), the first row of an item winning over later ones."""
    table, ids, columns = _item_metadata_table(item_meta_data)
    item_column = item_meta_data.project.item_column
    first_rows: dict[str, int] = {}
    for row, item in enumerate(ids.tolist()):
        first_rows.setdefault(item, row)
    kept = list(first_rows.values())
    fields: dict[str, list[Any]] = {}
    for name in columns:
        if name == item_column or table is None:
            continue
        values = table.column(name).take(kept).to_pylist()
        fields[name] = [_json_safe(value) for value in values]
    return list(first_rows), fields


def _empty_frame(columns: list[str]) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame({name: pd.Series([], dtype=object) for name in columns})


def _json_safe(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, decimal.Decimal | datetime.timedelta):
        return str(value)
    return str(value)


def preview(upload: Upload, *, n_rows: int) -> tuple[list[str], list[list[Any]]]:
    """The first ``n_rows`` rows of a VALID upload as JSON-ready lists."""
    _require_valid(upload)
    records: list[dict[str, Any]] = []
    try:
        with open_table(stored_file(upload)) as source:
            for batch in source.batches():
                records.extend(batch.data.slice(0, n_rows - len(records)).to_pylist())
                if len(records) >= n_rows:
                    break
            columns = list(source.columns)
    except DataFileError as exc:
        raise ValidationFailed(f"{upload.basename}: {exc.message}") from exc
    rows = [[_json_safe(record.get(name)) for name in columns] for record in records]
    return columns, rows
