"""The web process, beat and an idle worker start without the machine-learning stack.

irspack, Optuna, pandas, numba, scipy and scikit-learn take most of a process's start-up
time and memory; only the code that trains, tunes, ingests or previews needs them, and
imports them when it runs. Each case starts a fresh interpreter as the role starts.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BACKEND_ROOT = Path(__file__).resolve().parents[1] / "recotem"
HEAVY = ("irspack", "optuna", "pandas", "numba", "scipy", "sklearn")

# daphne loads recotem.asgi; the first request resolves every URLconf (and with it every
# view, serializer and selector); the admin registers its models at setup.
WEB = """
from recotem.asgi import application
from django.urls import get_resolver
get_resolver().resolve("/api/v1/ping/")
from recotem.urls import urlpatterns
"""
# Beat and the worker import every task module (the loader's default modules) before
# they wait for their first message.
CELERY = """
import django
django.setup()
from recotem.celery import app
app.loader.import_default_modules()
"""


def _imported_heavy_modules(script: str) -> list[str]:
    report = "import json, sys; print(json.dumps(sorted({n.split('.')[0] for n in sys.modules})))"
    result = subprocess.run(
        [sys.executable, "-c", script + "\n" + report],
        cwd=BACKEND_ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "recotem.settings"},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    loaded = set(json.loads(result.stdout.splitlines()[-1]))
    return sorted(loaded.intersection(HEAVY))


@pytest.mark.parametrize("script", [WEB, CELERY], ids=["web", "celery"])
def test_role_starts_without_the_machine_learning_stack(script: str) -> None:
    assert _imported_heavy_modules(script) == []


def test_the_check_sees_a_heavy_import() -> None:
    assert "optuna" in _imported_heavy_modules(WEB + "\nimport tuning.worker")
