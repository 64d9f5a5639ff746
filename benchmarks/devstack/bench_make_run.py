"""`make run` from start to every role ready, on a warm checkout.

Starts ``scripts/devstack.py run`` (what ``make run`` runs once the environments are
synced) on loopback addresses of its own with a data directory of its own, and times
until each role is ready: the backend answers ``/api/ping/``, the inference service
``/health``, the proxy the web UI's ``index.html``, each Celery worker a control ping
through the broker, and beat prints its banner. The first run starts from an empty data
directory (every migration); the later runs reuse it, as a developer's second ``make
run`` does. The SPA is already built (``make run`` rebuilds it only when a source
changed).

The baseline, measured in the same run on the same data directory: preparing the
installation as four ``manage.py`` processes (wait for the database, migrate, collect
static files, create the admin), as ``make run`` did, against the one ``bootstrap``
process it runs now.

From the repository root::

    backend/.venv/bin/python benchmarks/devstack/bench_make_run.py [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

from celery import Celery

REPO = Path(__file__).resolve().parents[2]
BACKEND_PYTHON = REPO / "backend" / ".venv" / "bin" / "python"
BACKEND_APP = REPO / "backend" / "recotem"
PROXY = ("127.0.12.10", 18000)
BACKEND = ("127.0.12.11", 18001)
INFERENCE = ("127.0.12.12", 18002)
GIVE_UP_SECONDS = 300.0
# Beat has no endpoint: it counts as started with its banner.
LOG_MARKERS = {"beat": re.compile(r"celery beat v\S+ .* is starting")}
# The Celery workers answer a control ping once they consume from the broker.
WORKERS = ("worker", "ingestion")
PREPARED_MARKER = "Recotem is starting:"
EMBEDDED_REDIS_FILE = "embedded-redis.url"


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:  # noqa: S310 - loopback
            return bool(answer.status == 200)
    except OSError:
        return False


HTTP_PROBES: dict[str, Callable[[], bool]] = {
    "backend": lambda: _answers(f"http://{BACKEND[0]}:{BACKEND[1]}/api/ping/"),
    "inference": lambda: _answers(f"http://{INFERENCE[0]}:{INFERENCE[1]}/health"),
    "proxy": lambda: _answers(f"http://{PROXY[0]}:{PROXY[1]}/"),
}


def _environment(data_dir: Path) -> dict[str, str]:
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in {"DATABASE_URL", "REDIS_URL"}
    }
    env.update(
        RECOTEM_DATA_DIR=str(data_dir),
        DEBUG="true",
        DEFAULT_ADMIN_PASSWORD=secrets.token_urlsafe(16),
        BACKEND_HOST=BACKEND[0],
        BACKEND_PORT=str(BACKEND[1]),
        INFERENCE_HOST=INFERENCE[0],
        INFERENCE_PORT=str(INFERENCE[1]),
        PROXY_HOST=PROXY[0],
        PROXY_PORT=str(PROXY[1]),
        LOG_FORMAT="plain",
    )
    return env


def _workers_answering(data_dir: Path) -> set[str]:
    """The Celery workers of the stack that answer a control ping through its broker."""
    redis_file = data_dir / EMBEDDED_REDIS_FILE
    if not redis_file.is_file():
        return set()
    app = Celery(broker=f"{redis_file.read_text().strip()}/0")
    try:
        replies = app.control.ping(timeout=0.5) or []
    except OSError:
        return set()
    finally:
        app.close()
    hostnames = {hostname for reply in replies for hostname in reply}
    return {role for role in WORKERS if any(h.startswith(f"{role}@") for h in hostnames)}


def start_once(data_dir: Path) -> dict[str, float]:
    """Seconds from start until the installation was prepared and until each role was ready."""
    started = time.monotonic()
    process = subprocess.Popen(
        [str(BACKEND_PYTHON), "scripts/devstack.py", "run"],
        cwd=REPO,
        env=_environment(data_dir),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    ready: dict[str, float] = {}
    lock = threading.Lock()

    def read_output() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            with lock:
                if PREPARED_MARKER in line:
                    ready.setdefault("prepared", time.monotonic() - started)
                for role, marker in LOG_MARKERS.items():
                    if marker.search(line):
                        ready.setdefault(role, time.monotonic() - started)

    reader = threading.Thread(target=read_output, daemon=True)
    reader.start()
    roles = {"prepared", *LOG_MARKERS, *HTTP_PROBES, *WORKERS}
    try:
        while True:
            for role, probe in HTTP_PROBES.items():
                if role not in ready and probe():
                    ready.setdefault(role, time.monotonic() - started)
            for role in _workers_answering(data_dir) - set(ready):
                ready.setdefault(role, time.monotonic() - started)
            with lock:
                if set(ready) >= roles:
                    return dict(ready)
            if process.poll() is not None:
                raise SystemExit(f"make run stopped with {process.returncode} before ready")
            if time.monotonic() - started > GIVE_UP_SECONDS:
                missing = roles - set(ready)
                raise SystemExit(f"not ready after {GIVE_UP_SECONDS:.0f} s: {sorted(missing)}")
            time.sleep(0.1)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def prepare_seconds(data_dir: Path, commands: list[list[str]]) -> float:
    started = time.monotonic()
    for command in commands:
        subprocess.run(
            [str(BACKEND_PYTHON), "manage.py", *command],
            cwd=BACKEND_APP,
            env=_environment(data_dir),
            check=True,
            capture_output=True,
        )
    return time.monotonic() - started


FOUR_PROCESSES = [
    ["wait_db", "--timeout", "60"],
    ["migrate", "--no-input", "-v", "0"],
    ["collectstatic", "--no-input", "-v", "0"],
    ["create_default_admin"],
]
ONE_PROCESS = [["bootstrap", "--timeout", "60", "--verbosity", "0"]]


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="starts, the first on empty data")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-make-run-") as directory:
        data_dir = Path(directory)
        starts = [start_once(data_dir) for _ in range(args.runs)]
        before = [prepare_seconds(data_dir, FOUR_PROCESSES) for _ in range(3)]
        after = [prepare_seconds(data_dir, ONE_PROCESS) for _ in range(3)]
    print(f"load average {os.getloadavg()[0]:.2f}, Python {sys.version.split()[0]}")
    roles = ["prepared", *HTTP_PROBES, *WORKERS, *LOG_MARKERS]
    print("| start | " + " | ".join(roles) + " | every role ready |")
    print("| --- |" + " ---: |" * (len(roles) + 1))
    for number, start in enumerate(starts, 1):
        kind = "empty data directory" if number == 1 else "warm"
        cells = [f"{start[role]:.1f} s" for role in roles]
        print(f"| {number} ({kind}) | " + " | ".join(cells) + f" | {max(start.values()):.1f} s |")
    print(
        f"preparing a prepared installation, median of 3: four processes "
        f"{statistics.median(before):.1f} s, one bootstrap process {statistics.median(after):.1f} s"
    )


if __name__ == "__main__":
    main()
