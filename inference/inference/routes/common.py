"""Parameters shared by the routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

# Ids are bigint in the database; larger numbers cannot name anything.
MAX_ID = 2**63 - 1

ModelId = Annotated[int, Path(ge=1, le=MAX_ID, description="A trained model's id.")]
ProjectId = Annotated[int, Path(ge=1, le=MAX_ID, description="A project's id.")]
