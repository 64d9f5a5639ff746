"""The service starts without the scoring stack or the S3 client.

numba (with llvmlite's compiler), scipy and boto3 hold about half of an idle worker's
memory. The image serves with the scoring loops compiled ahead of time, which need
neither numba nor scipy; elsewhere the first model loaded brings numba (which imports
scipy). S3 storage brings boto3. A fresh interpreter imports every module of the service,
as a worker does before serving.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

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


def _loads_scoring(before: str = "") -> str:
    return IMPORT_EVERY_MODULE.replace(
        "print(", f"{before}import recotem_common.artifact.scoring\nprint(", 1
    )


def test_loading_a_model_brings_numba_where_the_loops_are_not_compiled_ahead_of_time() -> None:
    assert {"numba", "scipy"} <= _loaded(_loads_scoring())


def test_with_the_loops_compiled_ahead_of_time_scoring_needs_no_numba_nor_scipy(
    tmp_path: Path,
) -> None:
    compiled = subprocess.run(
        [sys.executable, "-m", "recotem_common.artifact.kernels", "--ahead-of-time", tmp_path],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    ).stdout.strip()
    # As if the module sat in the package, where the image puts it.
    ship_module = (
        "import importlib.util, sys\n"
        "name = 'recotem_common.artifact._kernels_aot'\n"
        f"spec = importlib.util.spec_from_file_location(name, {compiled!r})\n"
        "sys.modules[name] = importlib.util.module_from_spec(spec)\n"
        "spec.loader.exec_module(sys.modules[name])\n"
        "from recotem_common.artifact import loops\n"
        "assert isinstance(loops.compiled, loops.AheadOfTime)\n"
    )
    assert _loaded(_loads_scoring(ship_module)).intersection(LAZY) == set()
