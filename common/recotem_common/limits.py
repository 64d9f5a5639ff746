"""Limits a client meets the same way in both services.

A model's recommendations can be asked of the backend (previews) and of the inference
service; both accept the same ``cutoff`` range, the same length of item lists and the
same ids.
"""

from __future__ import annotations

import re

DEFAULT_CUTOFF = 10
MAX_CUTOFF = 1000
# Item ids in one request: a profile, or a list of items to allow or exclude.
MAX_ITEM_IDS = 10_000
# Item ids in one query parameter. A URL carries at most 64 KiB through the servers in
# front of the services; this many ids of the longest length, in two such parameters,
# stay below it.
MAX_QUERY_ITEM_IDS = 100
# The longest user or item id, in characters: the width of the id columns that record
# impressions and conversions.
MAX_ID_LENGTH = 256

# API-key verifications that fail (a wrong secret, a revoked or expired key) allowed
# per client address, and per key prefix, before further attempts answer 429 without
# running PBKDF2: knowing a key's prefix must not let anyone spend the server's CPU.
FAILED_KEY_VERIFICATIONS = "10/minute"

# The error type both services give an id with a control character, answered with 422.
CONTROL_CHARACTER = "control_character"
# Unicode's control characters (C0, DEL, C1). PostgreSQL refuses NUL in text outright,
# and the others break the TSV, CSV and log lines ids are written to.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def control_character_problem(value: str) -> str | None:
    """Why ``value`` cannot be an id because of a control character in it, or None."""
    found = _CONTROL.search(value)
    if found is None:
        return None
    return (
        f"Ids may not contain control characters; found U+{ord(found.group()):04X} "
        f"at position {found.start() + 1}."
    )
