"""Correlation ids, shared by the backend and the inference service.

A request's id comes from its ``X-Correlation-ID`` header when the caller sent a usable
one, so one id follows a call across services; otherwise the service makes one.
"""

from __future__ import annotations

import uuid

CORRELATION_HEADER = "X-Correlation-ID"
# The id is written into every log line and echoed in a response header.
MAX_CORRELATION_ID_LENGTH = 128


def new_correlation_id(candidate: str | None = None) -> str:
    """The caller's id when it is short and printable, otherwise a new random one."""
    if candidate and len(candidate) <= MAX_CORRELATION_ID_LENGTH and candidate.isprintable():
        return candidate
    return uuid.uuid4().hex
