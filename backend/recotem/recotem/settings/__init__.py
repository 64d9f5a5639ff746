"""Settings, read only from the environment and grouped by concern."""

from recotem.settings.api import *  # noqa: F403
from recotem.settings.auth import *  # noqa: F403
from recotem.settings.base import *  # noqa: F403
from recotem.settings.celery import *  # noqa: F403
from recotem.settings.database import *  # noqa: F403
from recotem.settings.logging import *  # noqa: F403
from recotem.settings.redis import *  # noqa: F403
from recotem.settings.storage import *  # noqa: F403
