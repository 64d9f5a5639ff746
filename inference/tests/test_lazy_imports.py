"""The service starts without the scoring stack or the S3 client.

numba (with llvmlite's compiler), scipy and boto3 hold about half of an idle worker's
memory; the first model loaded brings the first two, S3 storage the third. A fresh
interpreter imports every module of the service, as a worker does before serving.
"""

from __future__ import annotations

import json
import subprocess
import sys

LAZY = ("numba", "llvmlite", "scipy", "boto3", "botocore")
IMPORT_EVERY_MODULE = """
import importlib, json, pkgutil, sys
import inference
for module in pkgutil.walk_packages(inference.__path__, "inference."):
    if module.name not in {"inference.__main__", "inference.asgi"}:
        importlib.import_module(module.name)
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules})))
"""


def _loaded(script: str) -> set[str]:
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False, timeout=120
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return set(json.loads(result.stdout.splitlines()[-1]))


def test_importing_the_service_loads_no_scoring_stack_nor_s3_client() -> None:
    assert _loaded(IMPORT_EVERY_MODULE).intersection(LAZY) == set()


def test_loading_a_model_brings_the_scoring_stack() -> None:
    loads_scoring = IMPORT_EVERY_MODULE.replace(
        "print(", "import recotem_common.artifact.scoring\nprint(", 1
    )
    assert {"numba", "scipy"} <= _loaded(loads_scoring)
