"""pytest plugin (``-p recotem_common.pytest_plugin``): Redis for suites run without one.

It must act before pytest-django configures settings, hence the early hook.
"""

from __future__ import annotations

from typing import Any

import pytest

from recotem_common.embedded_redis import EmbeddedRedis, ensure_redis

_server: EmbeddedRedis | None = None


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: Any, parser: Any, args: Any) -> None:
    global _server
    _server = ensure_redis()


def pytest_unconfigure(config: pytest.Config) -> None:
    if _server is not None:
        _server.stop()
