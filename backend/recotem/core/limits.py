"""Request-size limits and how they are worded, shared by the ASGI guard and the upload parser."""

from __future__ import annotations

# Room for the multipart boundaries and the other form fields around the file itself.
MULTIPART_ALLOWANCE = 64 * 1024


def megabytes(n_bytes: int) -> str:
    text = f"{n_bytes / 1024**2:.3g} MB"
    return text if n_bytes >= 1024**2 else f"{text} ({n_bytes} bytes)"


def too_large_message(limit: int) -> str:
    return f"The file is larger than the upload limit of {megabytes(limit)}."
