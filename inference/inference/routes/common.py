"""Parameters shared by the routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

from inference.parsing import MAX_ID

MODEL_ID = "A trained model's id."
PROJECT_ID = "A project's id."
ModelId = Annotated[int, Path(ge=1, le=MAX_ID, description=MODEL_ID)]
