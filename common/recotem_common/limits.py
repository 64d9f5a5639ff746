"""Limits a client meets the same way in both services.

A model's recommendations can be asked of the backend (previews) and of the inference
service; both accept the same ``cutoff`` range and the same length of item lists.
"""

from __future__ import annotations

DEFAULT_CUTOFF = 10
MAX_CUTOFF = 1000
# Item ids in one request: a profile, or a list of items to allow or exclude.
MAX_ITEM_IDS = 10_000
