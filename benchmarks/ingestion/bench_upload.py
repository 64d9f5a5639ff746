"""Upload and validation of a large interaction log, compared with pandas.read_csv.

Run from backend/ so the backend's environment is used:

    cd backend && uv run python ../benchmarks/ingestion/bench_upload.py

It generates CSV files with numpy (5,000,000 and 1,000,000 rows; ~100k users, ~20k items)
under a temporary directory, uploads the large one through the real endpoint, then runs
the validation service the worker runs, in a fresh child process per measurement, so
each peak RSS (from ``wait4``) belongs to that measurement alone. Nothing here touches the
project's data directory or any running Redis.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from unittest import mock

BACKEND = Path(__file__).resolve().parents[2] / "backend" / "recotem"
N_USERS = 100_000
N_ITEMS = 20_000


def _configure_django(workdir: Path) -> None:
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "recotem.settings",
            "DEBUG": "true",
            "RECOTEM_DATA_DIR": str(workdir),
            "MEDIA_ROOT": str(workdir / "media"),
            "ALLOWED_HOSTS": "testserver",
            "LOG_LEVEL": "WARNING",
        }
    )
    os.environ.pop("DATABASE_URL", None)
    sys.path.insert(0, str(BACKEND))
    import django

    django.setup()


def generate_csv(path: Path, n_rows: int, seed: int) -> dict[str, int]:
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pa_csv

    rng = np.random.default_rng(seed)
    users = rng.integers(1, N_USERS + 1, n_rows)
    items = rng.integers(1, N_ITEMS + 1, n_rows)
    table = pa.table(
        {
            "user_id": users,
            "item_id": items,
            "rating": rng.integers(1, 6, n_rows, dtype=np.int8),
            "timestamp": rng.integers(1_500_000_000, 1_700_000_000, n_rows),
        }
    )
    pa_csv.write_csv(table, path, pa_csv.WriteOptions(quoting_style="none"))
    return {
        "rows": n_rows,
        "users": int(np.unique(users).size),
        "items": int(np.unique(items).size),
        "bytes": path.stat().st_size,
    }


def _peak_rss_mb() -> float:
    # VmHWM belongs to this process's own memory map. getrusage()/wait4() would not do:
    # Linux carries the parent's maxrss over fork and exec into the child's figure.
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("/proc/self/status has no VmHWM")


def _child(kind: str, argument: str) -> dict[str, Any]:
    """Runs one measurement in a fresh interpreter and returns its report."""
    command = [sys.executable, __file__, "--child", kind, argument]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def _report(**values: Any) -> None:
    print(json.dumps({**values, "peak_rss_mb": _peak_rss_mb()}))


def run_child(kind: str, argument: str, workdir: Path) -> None:
    if kind == "pandas":
        import pandas as pd

        started = time.perf_counter()
        frame = pd.read_csv(argument)
        _report(seconds=time.perf_counter() - started, rows=len(frame))
        return
    action, process = kind.split("-")
    if process == "lean":
        # The ingestion worker `make run` starts: it loads only the projects app's tasks.
        os.environ["CELERY_TASK_APPS"] = "projects"
        os.environ["CELERY_SKIP_CHECKS"] = "1"
    _configure_django(workdir)
    # What a worker process loads at startup: its apps' task modules (for the general
    # worker, irspack, optuna, ...).
    from recotem.celery import app

    app.loader.import_default_modules()
    from projects.models import TrainingData
    from projects.services import training_data_validate

    if action == "idle":
        _report()
        return
    started = time.perf_counter()
    training_data_validate(training_data_id=int(argument))
    seconds = time.perf_counter() - started
    data = TrainingData.objects.get(pk=int(argument))
    assert data.validation_status == "VALID", data.validation_error
    _report(seconds=seconds, rows=data.n_rows, users=data.n_users, items=data.n_items)


def _upload(project: Any, path: Path, name: str) -> tuple[int, float]:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from rest_framework.test import APIClient

    from recotem.celery import app as celery_app

    client = APIClient()
    client.force_authenticate(project.owner)
    client.get("/api/v1/project/")  # loads the URLconf and views before timing
    payload = {"project": project.pk, "file": SimpleUploadedFile(name, path.read_bytes())}
    # The worker is measured separately, so the queued task is not sent anywhere.
    with mock.patch.object(celery_app, "send_task"):
        started = time.perf_counter()
        response = client.post("/api/v1/training_data/", payload, format="multipart")
        seconds = time.perf_counter() - started
    assert response.status_code == 201, response.content
    return response.json()["id"], seconds


def main(rows: int, small_rows: int, keep: bool) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="recotem-bench-"))
    try:
        _run(workdir, rows, small_rows)
    finally:
        if not keep:
            shutil.rmtree(workdir, ignore_errors=True)


def _run(workdir: Path, rows: int, small_rows: int) -> None:
    _configure_django(workdir)
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from projects.models import Project

    call_command("migrate", verbosity=0)
    owner = get_user_model().objects.create_user("bench", password=None)
    project = Project.objects.create(
        owner=owner,
        name="bench",
        user_column="user_id",
        item_column="item_id",
        time_column="timestamp",
    )

    big, small = workdir / "big.csv", workdir / "small.csv"
    started = time.perf_counter()
    expected = {"big": generate_csv(big, rows, 1), "small": generate_csv(small, small_rows, 2)}
    big_gz = workdir / "big.csv.gz"
    with big.open("rb") as source, gzip.open(big_gz, "wb", compresslevel=1) as target:
        shutil.copyfileobj(source, target, 1024 * 1024)
    print(f"generated files in {time.perf_counter() - started:.1f}s", file=sys.stderr)

    results: dict[str, Any] = {"expected": expected}
    big_id, upload_seconds = _upload(project, big, "big.csv")
    results["upload"] = {"seconds": upload_seconds, "bytes": expected["big"]["bytes"]}
    small_id, _ = _upload(project, small, "small.csv")
    gz_id, _ = _upload(project, big_gz, "big.csv.gz")

    for process in ("worker", "lean"):
        results[f"idle-{process}"] = _child(f"idle-{process}", "0")
        for label, pk in (("big", big_id), ("small", small_id), ("big_gz", gz_id)):
            results[f"{label}-{process}"] = _child(f"validate-{process}", str(pk))
    results["pandas-big"] = _child("pandas", str(big))
    results["pandas-small"] = _child("pandas", str(small))
    for size in ("big", "small"):
        got, want = results[f"{size}-worker"], expected[size]
        counts = (got["rows"], got["users"], got["items"])
        assert counts == (want["rows"], want["users"], want["items"]), (got, want)
    _print_table(results)


def _print_table(results: dict[str, Any]) -> None:
    expected = results["expected"]
    upload = results["upload"]
    lines = [
        f"file: {expected['big']['rows']:,} rows, {expected['big']['users']:,} users, "
        f"{expected['big']['items']:,} items, {expected['big']['bytes'] / 1024**2:.0f} MB",
        f"upload endpoint (in-process client, store + SHA-256): {upload['seconds']:.2f}s "
        f"({upload['bytes'] / 1024**2 / upload['seconds']:.0f} MB/s)",
        "",
        "| measurement | rows | time (s) | rows/s | peak RSS (MB) | above idle (MB) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    rows = [
        ("big-worker", "validation, CSV, general worker", "idle-worker"),
        ("small-worker", "validation, CSV, general worker", "idle-worker"),
        ("big_gz-worker", "validation, CSV gzip, general worker", "idle-worker"),
        ("big-lean", "validation, CSV, ingestion worker", "idle-lean"),
        ("small-lean", "validation, CSV, ingestion worker", "idle-lean"),
        ("big_gz-lean", "validation, CSV gzip, ingestion worker", "idle-lean"),
        ("pandas-big", "pandas.read_csv", None),
        ("pandas-small", "pandas.read_csv", None),
    ]
    for key, label, idle in rows:
        row = results[key]
        above = f"{row['peak_rss_mb'] - results[idle]['peak_rss_mb']:.0f}" if idle else "-"
        lines.append(
            f"| {label} | {row['rows']:,} | {row['seconds']:.2f} | "
            f"{row['rows'] / row['seconds']:,.0f} | {row['peak_rss_mb']:.0f} | {above} |"
        )
    for process in ("worker", "lean"):
        lines.append(f"idle {process} process: {results[f'idle-{process}']['peak_rss_mb']:.0f} MB")
    print("\n".join(lines))
    print(json.dumps(results), file=sys.stderr)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--small-rows", type=int, default=1_000_000)
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    parser.add_argument("--child", nargs=2, metavar=("KIND", "ARG"), help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.child:
        kind, argument = arguments.child
        run_child(kind, argument, workdir=Path(os.environ["RECOTEM_DATA_DIR"]))
    else:
        main(arguments.rows, arguments.small_rows, arguments.keep)
