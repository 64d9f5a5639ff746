"""Receiving an upload: streamed to a temporary file, hashed, and cut off at the size limit.

The limit is enforced here, by the server, whatever the proxy in front allows: a
``Content-Length`` that is already too large is refused before any byte is read, and the
bytes are counted while they arrive, so a client that lies about the length is stopped too.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import IO, Any, cast

from django.conf import settings
from django.core.files.uploadedfile import TemporaryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.http.multipartparser import MultiPartParser as DjangoMultiPartParser
from django.http.multipartparser import MultiPartParserError
from rest_framework.exceptions import ParseError
from rest_framework.parsers import DataAndFiles, MultiPartParser

from core.exceptions import PayloadTooLarge
from core.limits import MULTIPART_ALLOWANCE, too_large_message


class HashedUploadedFile(TemporaryUploadedFile):
    """A spooled upload that knows the SHA-256 of its bytes."""

    sha256: str = ""


class LimitedHashingUploadHandler(FileUploadHandler):
    def __init__(self, request: Any = None, *, limit: int) -> None:
        super().__init__(request)
        self.limit = limit
        self._file: HashedUploadedFile | None = None
        self._hash = hashlib.sha256()
        self._received = 0

    def handle_raw_input(
        self,
        input_data: IO[bytes],
        META: Mapping[str, Any],  # noqa: N803 - Django's name
        content_length: int,
        boundary: Any,
        encoding: str | None = None,
    ) -> None:
        if content_length > self.limit + MULTIPART_ALLOWANCE:
            raise PayloadTooLarge(too_large_message(self.limit))

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self._discard()
        self._file = HashedUploadedFile(
            self.file_name or "upload", self.content_type, 0, self.charset, self.content_type_extra
        )
        self._hash = hashlib.sha256()
        self._received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        assert self._file is not None
        self._received += len(raw_data)
        if self._received > self.limit:
            self._discard()
            raise PayloadTooLarge(too_large_message(self.limit))
        self._hash.update(raw_data)
        self._file.write(raw_data)

    def file_complete(self, file_size: int) -> HashedUploadedFile | None:
        upload, self._file = self._file, None
        if upload is None:
            return None
        upload.seek(0)
        upload.size = file_size
        upload.sha256 = self._hash.hexdigest()
        return upload

    def upload_interrupted(self) -> None:
        self._discard()

    def _discard(self) -> None:
        # Closing the spooled file deletes it, so no partial upload stays on disk.
        if self._file is not None:
            self._file.close()
            self._file = None


class LimitedMultiPartParser(MultiPartParser):
    """Multipart parsing with ``LimitedHashingUploadHandler`` as the only handler."""

    def parse(
        self,
        stream: IO[Any],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> DataAndFiles:
        context = parser_context or {}
        request = context["request"]
        meta = request.META.copy()
        meta["CONTENT_TYPE"] = media_type
        handlers = [LimitedHashingUploadHandler(request, limit=settings.MAX_UPLOAD_SIZE)]
        encoding = context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            data, files = DjangoMultiPartParser(meta, cast(Any, stream), handlers, encoding).parse()
        except MultiPartParserError as exc:
            raise ParseError(f"Multipart form parse error - {exc}") from exc
        return DataAndFiles(data, files)
