from __future__ import annotations

import environ

from recotem_common.paths import data_dir

env = environ.Env()
DEBUG: bool = env.bool("DEBUG", default=False)
DATA_DIR = data_dir()
