from __future__ import annotations

from pathlib import Path

import environ

BACKEND_DIR = Path(__file__).resolve().parents[3]
REPO_DIR = BACKEND_DIR.parent

env = environ.Env()
DEBUG: bool = env.bool("DEBUG", default=False)
DATA_DIR = Path(env.str("RECOTEM_DATA_DIR", default=str(REPO_DIR / "data"))).resolve()
