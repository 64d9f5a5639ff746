"""Streaming readers for uploaded tables: CSV, TSV, JSON lines and Parquet, optionally gzipped.

Every reader yields Arrow record batches with bounded memory, so the validation task and
the loaders used by tuning and training share one implementation. Parsing is done by
pyarrow; when pyarrow rejects the data, a slow pass with Python's own decoders finds the
exact line and column, because pyarrow's messages do not say where the problem is.

This module knows nothing about Django: it reads from a callable that opens the stored
bytes, and reports problems with ``DataFileError``.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import json
import tempfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import PurePath
from typing import IO, Any, Protocol

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.json as pa_json
import pyarrow.parquet as pq

from core.limits import megabytes

Opener = Callable[[], IO[bytes]]

GZIP_MAGIC = b"\x1f\x8b"
PARQUET_MAGIC = b"PAR1"
ZIP_MAGIC = b"PK\x03\x04"
UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
SNIFF_BYTES = 64 * 1024
# pyarrow's streaming CSV reader prefetches a few dozen blocks in the background, so
# the block size, not the file size, sets its memory: small blocks keep it flat.
CSV_BLOCK_BYTES = 512 * 1024
JSON_CHUNK_BYTES = 8 * 1024 * 1024
JSON_BLOCK_BYTES = 1024 * 1024
PARQUET_BATCH_ROWS = 128 * 1024
# A text line longer than this is not a row of a table; stop before holding it in memory.
MAX_LINE_BYTES = 16 * 1024 * 1024

TEXT_KINDS = {".csv": "csv", ".tsv": "tsv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
KIND_BY_SUFFIX = {**TEXT_KINDS, ".json": "jsonl", ".parquet": "parquet"}
ACCEPTED_SUFFIXES = tuple(KIND_BY_SUFFIX)


class DataFileError(ValueError):
    """The uploaded bytes are not a table we can use; the message says why and where."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def accepted_formats_text() -> str:
    listed = ", ".join(ACCEPTED_SUFFIXES)
    return f"{listed} (each may also be gzipped, ending in .gz)"


def kind_from_name(name: str) -> str:
    """The table format a file name announces; the ``.gz`` suffix is ignored."""
    suffixes = [s.lower() for s in PurePath(name).suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes.pop()
    kind = KIND_BY_SUFFIX.get(suffixes[-1]) if suffixes else None
    if kind is None:
        raise DataFileError(
            f"'{PurePath(name).name}' does not have a supported file extension. "
            f"Accepted formats: {accepted_formats_text()}."
        )
    return kind


def _too_large(limit: int) -> DataFileError:
    return DataFileError(
        f"Decompressed, this file is larger than the {megabytes(limit)} limit; "
        "upload a smaller file."
    )


class _BoundedGunzip(io.RawIOBase):
    """Decompresses a gzip stream and stops as soon as the output passes ``limit`` bytes."""

    def __init__(self, raw: IO[bytes], limit: int) -> None:
        super().__init__()
        self._gzip = gzip.GzipFile(fileobj=raw, mode="rb")
        self._limit = limit
        self._produced = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        try:
            n = self._gzip.readinto(buffer)
        except (OSError, EOFError, zlib.error) as exc:
            raise DataFileError(f"The gzip data is corrupt or truncated ({exc}).") from exc
        self._produced += n
        if self._produced > self._limit:
            raise _too_large(self._limit)
        return n

    def close(self) -> None:
        self._gzip.close()
        super().close()


@dataclass(frozen=True)
class StoredFile:
    """How to read one stored upload: what opens its bytes, and what it was called."""

    opener: Opener
    name: str
    max_decompressed_size: int

    @contextmanager
    def open(self) -> Iterator[IO[bytes]]:
        """The file's bytes, decompressed when they are gzip (detected by content)."""
        with self.opener() as raw:
            head = raw.read(2)
            raw.seek(0)
            if head != GZIP_MAGIC:
                yield raw
                return
            with io.BufferedReader(
                _BoundedGunzip(raw, self.max_decompressed_size), 1024 * 1024
            ) as plain:
                yield plain

    def is_gzipped(self) -> bool:
        with self.opener() as raw:
            return raw.read(2) == GZIP_MAGIC

    def head(self) -> bytes:
        with self.open() as stream:
            return stream.read(SNIFF_BYTES)


@dataclass
class Batch:
    """Rows ``first_record`` .. ``first_record + len(batch) - 1`` (0-based) of a file."""

    first_record: int
    data: pa.RecordBatch


class TableSource(Protocol):
    kind: str
    columns: list[str]

    def batches(self, columns: Sequence[str] | None = None) -> Iterator[Batch]: ...

    def where(self, record_index: int) -> str: ...


def _check_header(columns: Sequence[str], *, where: str) -> None:
    seen: set[str] = set()
    for position, column in enumerate(columns, start=1):
        if not column.strip():
            raise DataFileError(
                f"{where}: column {position} of the header has no name; every column needs a name."
            )
        if column in seen:
            raise DataFileError(f"{where}: the column name '{column}' appears twice.")
        seen.add(column)


def _numbered_lines(stream: IO[bytes], first_line: int = 1) -> Iterator[tuple[int, str]]:
    """Decoded lines with their 1-based numbers; undecodable bytes name line and column."""
    number = first_line - 1
    while True:
        raw = stream.readline(MAX_LINE_BYTES + 1)
        if not raw:
            return
        number += 1
        if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
            raise DataFileError(
                f"Line {number} is longer than {megabytes(MAX_LINE_BYTES)}; "
                "this does not look like a table."
            )
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            column = len(raw[: exc.start].decode("utf-8", errors="replace")) + 1
            raise DataFileError(
                f"Line {number}, column {column}: bytes are not valid UTF-8 "
                "(save the file with UTF-8 encoding)."
            ) from exc
        if number == 1:
            text = text.removeprefix("\ufeff")
        yield number, text


def _reject_binary(head: bytes, label: str) -> None:
    if head.startswith(UTF16_BOMS):
        raise DataFileError(f"This {label} file is encoded as UTF-16; save it with UTF-8 encoding.")
    if head.startswith(ZIP_MAGIC):
        raise DataFileError(
            f"This is not a text {label} file but a ZIP archive (an Excel workbook?); "
            f"export it as {label}."
        )
    if b"\x00" in head:
        raise DataFileError(f"This is not a text {label} file: it contains binary data.")


class DelimitedSource:
    """CSV or TSV. Every column is read as text so no value can fail a type guess."""

    def __init__(self, stored: StoredFile, kind: str, head: bytes) -> None:
        self.stored = stored
        self.kind = kind
        self._delimiter = "\t" if kind == "tsv" else ","
        _reject_binary(head, kind.upper())
        self.columns = self._read_header()
        _check_header(self.columns, where="Line 1")

    def _python_rows(self, stream: IO[bytes]) -> Iterator[tuple[int, list[str]]]:
        """Rows parsed by the csv module, each with the number of its last line."""
        csv.field_size_limit(max(csv.field_size_limit(), MAX_LINE_BYTES))
        lines = (text for _, text in _numbered_lines(stream))
        if self.kind == "tsv":
            reader = csv.reader(lines, delimiter="\t", quoting=csv.QUOTE_NONE)
        else:
            reader = csv.reader(lines, delimiter=",")
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise DataFileError(f"Line {reader.line_num}: {exc}.") from exc
            if row:
                yield reader.line_num, row

    def _read_header(self) -> list[str]:
        with self.stored.open() as stream:
            for _, row in self._python_rows(stream):
                return row
        raise DataFileError("The file is empty.")

    def _arrow_reader(
        self, stream: IO[bytes], columns: Sequence[str] | None
    ) -> pa_csv.CSVStreamingReader:
        return pa_csv.open_csv(
            stream,
            read_options=pa_csv.ReadOptions(block_size=CSV_BLOCK_BYTES),
            parse_options=pa_csv.ParseOptions(
                delimiter=self._delimiter,
                quote_char=False if self.kind == "tsv" else '"',
                newlines_in_values=self.kind != "tsv",
            ),
            convert_options=pa_csv.ConvertOptions(
                column_types=dict.fromkeys(self.columns, pa.string()),
                include_columns=list(columns) if columns is not None else None,
                strings_can_be_null=False,
            ),
        )

    def batches(self, columns: Sequence[str] | None = None) -> Iterator[Batch]:
        first = 0
        with self.stored.open() as stream:
            try:
                reader = self._arrow_reader(stream, columns)
                for data in reader:
                    yield Batch(first, data)
                    first += data.num_rows
            except pa.ArrowInvalid as exc:
                raise DataFileError(self._diagnose(str(exc))) from exc

    def _diagnose(self, arrow_message: str) -> str:
        """Finds the first line Python's csv module also rejects."""
        expected = len(self.columns)
        try:
            with self.stored.open() as stream:
                for line, row in self._python_rows(stream):
                    if len(row) != expected:
                        return f"Line {line}: expected {expected} fields, found {len(row)}."
        except DataFileError as exc:
            return exc.message
        return f"The file could not be parsed: {arrow_message}"

    def where(self, record_index: int) -> str:
        with self.stored.open() as stream:
            for index, (line, _) in enumerate(self._python_rows(stream), start=-1):
                if index == record_index:
                    return f"Line {line}"
        return f"Record {record_index + 1}"


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


@dataclass
class _JsonChunk:
    first_line: int
    data: bytes

    def record_lines(self) -> list[int]:
        """Numbers of the lines holding a record (pyarrow skips blank lines)."""
        lines = self.data.split(b"\n")
        return [n for n, raw in enumerate(lines, self.first_line) if raw.strip()]


class JsonLinesSource:
    """JSON lines (one object per line), parsed by pyarrow in chunks of whole lines."""

    kind = "jsonl"

    def __init__(self, stored: StoredFile, head: bytes) -> None:
        self.stored = stored
        _reject_binary(head, "JSON")
        if head.lstrip().startswith(b"["):
            raise DataFileError(
                "This is a JSON array; upload JSON lines instead (one object per line)."
            )
        self.columns = self._read_columns()
        _check_header(self.columns, where="Line 1")

    def _chunks(self) -> Iterator[_JsonChunk]:
        line, carry = 1, b""
        with self.stored.open() as stream:
            while True:
                block = stream.read(JSON_CHUNK_BYTES)
                data = carry + block
                cut = data.rfind(b"\n") + 1 if block else len(data)
                if cut == 0 and len(data) > MAX_LINE_BYTES:
                    raise DataFileError(f"Line {line} is longer than {megabytes(MAX_LINE_BYTES)}.")
                chunk, carry = data[:cut], data[cut:]
                if chunk.strip():
                    yield _JsonChunk(line, chunk)
                line += chunk.count(b"\n")
                if not block:
                    return

    def _parse(self, chunk: _JsonChunk) -> pa.Table:
        try:
            # pyarrow's JSON reader lets invalid UTF-8 through inside strings.
            chunk.data.decode("utf-8")
            return pa_json.read_json(
                pa.BufferReader(chunk.data),
                read_options=pa_json.ReadOptions(block_size=JSON_BLOCK_BYTES),
            )
        except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
            raise DataFileError(self._diagnose(chunk, str(exc))) from exc

    def _read_columns(self) -> list[str]:
        for chunk in self._chunks():
            return self._parse(chunk).column_names
        raise DataFileError("The file is empty.")

    def batches(self, columns: Sequence[str] | None = None) -> Iterator[Batch]:
        known = set(self.columns)
        first = 0
        for chunk in self._chunks():
            table = self._parse(chunk)
            for name in table.column_names:
                if name not in known:
                    known.add(name)
                    self.columns.append(name)
            if columns is not None:
                # A field absent from a whole chunk reads as empty values there.
                for name in columns:
                    if name not in table.column_names:
                        table = table.append_column(name, pa.nulls(table.num_rows))
                table = table.select(list(columns))
            for data in table.to_batches():
                yield Batch(first, data)
                first += data.num_rows

    def _diagnose(self, chunk: _JsonChunk, arrow_message: str) -> str:
        """Decodes the chunk line by line, as pyarrow would, and names the first bad line."""
        seen_types: dict[str, tuple[str, int]] = {}
        try:
            for line, text in _numbered_lines(io.BytesIO(chunk.data), chunk.first_line):
                if not text.strip():
                    continue
                try:
                    value = json.loads(text)
                except json.JSONDecodeError as exc:
                    return f"Line {line}, column {exc.colno}: {exc.msg}."
                if not isinstance(value, dict):
                    return f"Line {line}: expected a JSON object, found {_json_type(value)}."
                for key, item in value.items():
                    if item is None:
                        continue
                    kind = _json_type(item)
                    earlier = seen_types.setdefault(key, (kind, line))
                    if earlier[0] != kind:
                        return (
                            f"Line {line}: '{key}' is {kind} here but {earlier[0]} on "
                            f"line {earlier[1]}; use one type per field."
                        )
        except DataFileError as exc:
            return exc.message
        return f"The file could not be parsed: {arrow_message}"

    def where(self, record_index: int) -> str:
        remaining = record_index
        for chunk in self._chunks():
            lines = chunk.record_lines()
            if remaining < len(lines):
                return f"Line {lines[remaining]}"
            remaining -= len(lines)
        return f"Record {record_index + 1}"


class ParquetSource:
    kind = "parquet"

    def __init__(self, handle: IO[bytes], max_decompressed_size: int) -> None:
        try:
            self._file = pq.ParquetFile(handle)
        except (pa.ArrowInvalid, OSError) as exc:
            raise DataFileError(f"This is not a readable Parquet file ({exc}).") from exc
        self._limit = max_decompressed_size
        # Checked from the metadata before any page is read: the uncompressed size of
        # every row group.
        metadata = self._file.metadata
        uncompressed = sum(
            metadata.row_group(i).total_byte_size for i in range(metadata.num_row_groups)
        )
        if uncompressed > self._limit:
            raise _too_large(self._limit)
        self.columns = list(self._file.schema_arrow.names)
        _check_header(self.columns, where="Schema")

    def batches(self, columns: Sequence[str] | None = None) -> Iterator[Batch]:
        first = decoded = 0
        try:
            for data in self._file.iter_batches(
                batch_size=PARQUET_BATCH_ROWS,
                columns=list(columns) if columns is not None else None,
            ):
                # Dictionary and run-length encoding expand further once decoded,
                # which the metadata's sizes do not show.
                decoded += data.nbytes
                if decoded > self._limit:
                    raise _too_large(self._limit)
                yield Batch(first, data)
                first += data.num_rows
        except (pa.ArrowInvalid, OSError) as exc:
            raise DataFileError(
                f"The Parquet data is damaged near row {first + 1} ({exc})."
            ) from exc

    def where(self, record_index: int) -> str:
        return f"Row {record_index + 1}"


@contextmanager
def open_table(stored: StoredFile) -> Iterator[TableSource]:
    """The table in a stored upload; the format comes from the content where it can."""
    head = stored.head()
    if not head.strip():
        raise DataFileError("The file is empty.")
    if not head.startswith(PARQUET_MAGIC):
        kind = kind_from_name(stored.name)
        if kind == "parquet":
            raise DataFileError("This is not a Parquet file (its first bytes are wrong).")
        if kind == "jsonl":
            yield JsonLinesSource(stored, head)
        else:
            yield DelimitedSource(stored, kind, head)
        return
    if not stored.is_gzipped():
        with stored.opener() as handle:
            yield ParquetSource(handle, stored.max_decompressed_size)
        return
    # Parquet needs random access, so a gzipped one is expanded to a temporary file
    # (still bounded by the decompression limit).
    with tempfile.TemporaryFile() as spool:
        with stored.open() as stream:
            while block := stream.read(1024 * 1024):
                spool.write(block)
        spool.seek(0)
        yield ParquetSource(spool, stored.max_decompressed_size)


def format_label(source: TableSource, stored: StoredFile) -> str:
    return f"{source.kind}.gz" if stored.is_gzipped() else source.kind
