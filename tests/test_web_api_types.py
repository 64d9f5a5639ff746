"""The web UI's API types are what the current backend's OpenAPI schema produces."""

from __future__ import annotations

import subprocess

import pytest

import devproxy

pytestmark = pytest.mark.slow


def test_committed_api_types_match_the_backend_schema() -> None:
    assert devproxy.install_spa_dependencies(devproxy.FRONTEND), "npm ci failed in frontend/"

    check = subprocess.run(
        ["node", "scripts/api-types.mjs", "--check"],
        cwd=devproxy.FRONTEND,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )

    assert check.returncode == 0, check.stderr[-3000:]
