"""Inference service benchmark on loopback, bounded in requests and time.

Builds a throwaway world (SQLite schema from the backend's migrations, a CosineKNN model
trained on MovieLens 100K, a deployed slot, an API key hashed with Django's default
PBKDF2 cost), starts uvicorn as a subprocess with the production app plus a no-op route
(``noop_app.py``), and measures:

* single predict with an API key against the no-op route, at several concurrencies
  (requests/s, p50, p99), alternating the two; each round pairs a no-op run with the
  predict run after it, and the share of the ceiling is the median of the rounds'
  ratios, so that a slow spell of the machine affects both sides of a ratio;
* a batch of 100 users (server time from the ``Server-Timing`` header);
* cold model load (first request for a model not in memory);
* hot-swap latency (``model_trained`` published -> first answer from the new model).

Run from the repository root::

    uv run --project inference python benchmarks/inference/run.py [--update-docs]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, NamedTuple

import aiohttp
import numpy as np
import redis
from passlib.hash import django_pbkdf2_sha256
from sqlalchemy import create_engine

from inference.config import Settings
from recotem_common.embedded_redis import start_embedded_redis
from recotem_common.events import CHANNEL, ModelTrained, encode_event
from testbed.seeder import Seeder
from testbed.world import migrate_backend_schema, write_ml100k_models

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parents[1]
DOCS = REPO_DIR / "docs" / "benchmarks.md"

SECRET_KEY = "benchmark-only-7d2f9a4c1e8b6d3f0a5c7e9b2d4f6a8c"  # noqa: S105
# Django's default PBKDF2 cost: paid once per key and worker, never per request.
DJANGO_ITERATIONS = 1_000_000
# The first start compiles the scoring kernels, which takes minutes on a busy machine.
STARTUP_TIMEOUT_SECONDS = 300
USER_IDS = [str(n) for n in range(1, 944)]
WIDTH = 88


@dataclass
class LoadResult:
    requests: int
    errors: int
    seconds: float
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    max_ms: float


@dataclass
class World:
    seeder: Seeder
    project_id: int
    slot_id: int
    model_id: int
    cold_model_ids: list[int]
    api_key: str
    # The same kind of key as issued before keys had a lookup digest: PBKDF2 identifies it.
    digestless_api_key: str
    new_model: Callable[[str], int]


def _free_port(host: str) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def _ms(samples: list[float], percentile: float) -> float:
    return round(float(np.percentile(np.asarray(samples) * 1000, percentile)), 2)


def build_world(data_dir: Path, media_root: Path) -> World:
    migrate_backend_schema(django_url="", data_dir=data_dir, secret_key=SECRET_KEY)
    models = write_ml100k_models(media_root, SECRET_KEY)
    seeder = Seeder(create_engine(f"sqlite:///{data_dir / 'recotem.sqlite3'}"))
    owner = seeder.user()
    project = seeder.project(owner_id=owner)

    def new_model(name: str) -> int:
        return seeder.trained_model(
            project_id=project, file=models[name][0], algorithm="CosineKNNRecommender"
        )

    served = new_model("knn")
    hasher = django_pbkdf2_sha256.using(rounds=DJANGO_ITERATIONS)
    _, key = seeder.api_key(project_id=project, owner_id=owner, hasher=hasher)
    _, digestless = seeder.api_key(
        project_id=project, owner_id=owner, hasher=hasher, with_digest=False
    )
    return World(
        seeder=seeder,
        project_id=project,
        slot_id=seeder.slot(project_id=project, model_id=served),
        model_id=served,
        cold_model_ids=[new_model("knn") for _ in range(5)],
        api_key=key,
        digestless_api_key=digestless,
        new_model=new_model,
    )


async def _load(
    url: str,
    key: str,
    *,
    concurrency: int,
    requests: int,
    time_limit: float,
    extra: dict[str, Any] | None = None,
) -> LoadResult:
    """At most ``requests`` requests or ``time_limit`` seconds, whichever ends first;
    each body is a user and ``cutoff`` 10, plus ``extra``."""
    latencies: list[float] = []
    errors = 0
    issued = 0
    deadline = time.perf_counter() + time_limit
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector, headers={"X-API-Key": key}) as session:

        async def worker() -> None:
            nonlocal issued, errors
            while issued < requests and time.perf_counter() < deadline:
                body = {"user_id": USER_IDS[issued % len(USER_IDS)], "cutoff": 10, **(extra or {})}
                issued += 1
                started = time.perf_counter()
                async with session.post(url, json=body) as response:
                    await response.read()
                    errors += response.status != 200
                latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return LoadResult(
        requests=len(latencies),
        errors=errors,
        seconds=round(elapsed, 2),
        requests_per_second=round(len(latencies) / elapsed, 1),
        p50_ms=_ms(latencies, 50),
        p99_ms=_ms(latencies, 99),
        max_ms=round(max(latencies) * 1000, 1),
    )


def _median_run(runs: list[LoadResult]) -> LoadResult:
    return sorted(runs, key=lambda run: run.requests_per_second)[len(runs) // 2]


def _server_ms(headers: Any) -> float:
    return float(headers.get("server-timing", "app;dur=nan").split("dur=", 1)[1])


async def paired_latencies(
    base: str, key: str, requests: dict[str, tuple[str, str, dict[str, Any]]], pairs: int
) -> dict[str, dict[str, float]]:
    """Latencies of each named request (method, path, JSON body or query), sent one after
    the other in every round, in an order that turns each round, so that the machine's
    other load falls on all of them alike."""
    client: dict[str, list[float]] = {name: [] for name in requests}
    server: dict[str, list[float]] = {name: [] for name in requests}
    names = list(requests)
    async with aiohttp.ClientSession(headers={"X-API-Key": key}) as session:
        for number in range(pairs):
            shift = number % len(names)
            for name in names[shift:] + names[:shift]:
                method, path, payload = requests[name]
                user = USER_IDS[number % len(USER_IDS)]
                body = {"user_id": user, "cutoff": 10, **payload} if method == "POST" else None
                query = payload if method == "GET" else None
                started = time.perf_counter()
                async with session.request(
                    method, f"{base}{path}", json=body, params=query
                ) as response:
                    await response.read()
                    if response.status != 200:
                        raise RuntimeError(f"{name}: {response.status} {await response.text()}")
                    server[name].append(_server_ms(response.headers) / 1000)
                client[name].append(time.perf_counter() - started)
    return {
        name: {
            "client_p50_ms": _ms(client[name], 50),
            "client_p99_ms": _ms(client[name], 99),
            "server_p50_ms": _ms(server[name], 50),
            "server_p99_ms": _ms(server[name], 99),
            "server_mean_ms": round(statistics.fmean(server[name]) * 1000, 4),
        }
        for name in requests
    }


async def _batch(base: str, world: World, rounds: int) -> dict[str, float]:
    server: list[float] = []
    client: list[float] = []
    async with aiohttp.ClientSession(headers={"X-API-Key": world.api_key}) as session:
        for number in range(rounds):
            users = random.Random(number).sample(USER_IDS, 100)
            started = time.perf_counter()
            async with session.post(
                f"{base}/predict/{world.model_id}/batch",
                json={"user_ids": users, "cutoff": 10},
            ) as response:
                body = await response.json()
                if response.status != 200 or len(body["results"]) != 100:
                    raise RuntimeError(f"batch failed: {body}")
                server.append(_server_ms(response.headers) / 1000)
            client.append(time.perf_counter() - started)
    return {
        "rounds": rounds,
        "server_p50_ms": _ms(server, 50),
        "server_p99_ms": _ms(server, 99),
        "client_p50_ms": _ms(client, 50),
    }


async def _cold_loads(base: str, world: World) -> dict[str, float]:
    first_request: list[float] = []
    async with aiohttp.ClientSession(headers={"X-API-Key": world.api_key}) as session:
        for model_id in world.cold_model_ids:
            started = time.perf_counter()
            async with session.post(
                f"{base}/predict/{model_id}", json={"user_id": "1"}
            ) as response:
                if response.status != 200:
                    raise RuntimeError(await response.text())
            first_request.append(time.perf_counter() - started)
        async with session.get(f"{base}/models") as response:
            loaded = {m["model_id"]: m for m in (await response.json())["models"]}
    load_seconds = [loaded[model_id]["load_seconds"] for model_id in world.cold_model_ids]
    return {
        "models": len(world.cold_model_ids),
        "artifact_mib": round(loaded[world.cold_model_ids[0]]["nbytes"] / 2**20, 1),
        "load_p50_ms": round(statistics.median(load_seconds) * 1000, 1),
        "first_request_p50_ms": _ms(first_request, 50),
    }


async def _hot_swaps(base: str, world: World, events_url: str, rounds: int) -> dict[str, float]:
    latencies: list[float] = []
    publisher = redis.Redis.from_url(events_url)
    async with aiohttp.ClientSession(headers={"X-API-Key": world.api_key}) as session:
        for number in range(rounds):
            model_id = world.new_model("knn_small" if number % 2 == 0 else "knn")
            world.seeder.update(
                "deployments_deploymentslot", world.slot_id, trained_model_id=model_id
            )
            event = ModelTrained(model_id=model_id, project_id=world.project_id)
            started = time.perf_counter()
            publisher.publish(CHANNEL, encode_event(event))
            while time.perf_counter() - started < 10:
                async with session.post(
                    f"{base}/predict/project/{world.project_id}", json={"user_id": "1"}
                ) as response:
                    if (await response.json())["model_id"] == model_id:
                        break
                await asyncio.sleep(0.002)
            latencies.append(time.perf_counter() - started)
    publisher.close()
    return {
        "rounds": rounds,
        "p50_ms": _ms(latencies, 50),
        "max_ms": round(max(latencies) * 1000, 1),
    }


async def _first_use_of_key(base: str, world: World) -> float:
    async with aiohttp.ClientSession(headers={"X-API-Key": world.api_key}) as session:
        started = time.perf_counter()
        async with session.post(
            f"{base}/predict/{world.model_id}", json={"user_id": "1"}
        ) as response:
            if response.status != 200:
                raise RuntimeError(await response.text())
        return round((time.perf_counter() - started) * 1000, 1)


class Server(NamedTuple):
    base: str
    pid: int

    def cpu_seconds(self) -> float:
        """CPU time the server process has used so far (with one worker, the app's)."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        # utime and stime, the 14th and 15th fields of the whole line.
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def serve(
    env: dict[str, str], workers: int, log: Path, host: str = "127.0.0.1"
) -> Iterator[Server]:
    """uvicorn in a subprocess, with the flags ``make run`` uses; yields it as soon as
    ``/health`` answers 200."""
    port = _free_port(host)
    command = [
        sys.executable, "-m", "uvicorn", "noop_app:create", "--factory",
        "--app-dir", str(BENCH_DIR),
        "--host", host, "--port", str(port),
        "--workers", str(workers),
        "--loop", "uvloop", "--http", "httptools",
        "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip
    with log.open("wb") as output:
        process = subprocess.Popen(command, env=env, stdout=output, stderr=output)
    base = f"http://{host}:{port}"
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while not _healthy(base):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"uvicorn did not become healthy; see {log}")
            time.sleep(0.2)
        yield Server(base, process.pid)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def service_env(workdir: Path, redis_url: str) -> dict[str, str]:
    """The service's environment for the world built in ``workdir``."""
    return {
        **{k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
        "SECRET_KEY": SECRET_KEY,
        "RECOTEM_DATA_DIR": str(workdir / "data"),
        "MEDIA_ROOT": str(workdir / "media"),
        "REDIS_URL": redis_url,
        # The load must measure serving, not the limiter answering 429.
        "INFERENCE_RATE_LIMIT": "100000000/minute",
    }


def _healthy(base: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base}/health", timeout=1) as answer:  # noqa: S310
            return bool(answer.status == 200)
    except OSError:
        return False


@contextmanager
def served_world(*, workers: int, host: str = "127.0.0.1") -> Iterator[tuple[Server, World, str]]:
    """The service on ``host`` over a throwaway world: (server, world, events URL)."""
    workdir = Path(tempfile.mkdtemp(prefix="recotem-inference-bench-"))
    (workdir / "data").mkdir()
    embedded = None if os.environ.get("REDIS_URL") else start_embedded_redis()
    redis_url = os.environ.get("REDIS_URL") or (embedded.url if embedded else "")
    try:
        print("setting up: migrations, models, rows", file=sys.stderr)
        world = build_world(workdir / "data", workdir / "media")
        env = service_env(workdir, redis_url)
        events_url = Settings(secret_key=SECRET_KEY, redis_url=redis_url).events_redis_url
        with serve(env, workers, workdir / "server.log", host) as server:
            yield server, world, events_url
    finally:
        if embedded is not None:
            embedded.stop()


def measure(base: str, world: World, args: argparse.Namespace, events_url: str) -> dict[str, Any]:
    results: dict[str, Any] = {
        "first_request_with_new_key_ms": asyncio.run(_first_use_of_key(base, world))
    }
    urls = {"noop": f"{base}/noop", "predict": f"{base}/predict/{world.model_id}"}

    def run(name: str, concurrency: int, requests: int) -> LoadResult:
        return asyncio.run(
            _load(
                urls[name],
                world.api_key,
                concurrency=concurrency,
                requests=requests,
                time_limit=args.time_limit,
            )
        )

    run("predict", 8, 500)
    run("noop", 8, 500)
    results["load"] = []
    for concurrency in args.concurrency:
        print(f"load at concurrency {concurrency}", file=sys.stderr)
        rounds: dict[str, list[LoadResult]] = {"noop": [], "predict": []}
        for _ in range(args.rounds):
            for name, runs in rounds.items():
                runs.append(run(name, concurrency, args.requests))
        failed = [r for runs in rounds.values() for r in runs if r.errors]
        if failed:
            raise RuntimeError(f"{len(failed)} runs had non-200 answers: {failed}")
        noop, predict = _median_run(rounds["noop"]), _median_run(rounds["predict"])
        shares = [
            p.requests_per_second / n.requests_per_second
            for n, p in zip(rounds["noop"], rounds["predict"], strict=True)
        ]
        results["load"].append(
            {
                "concurrency": concurrency,
                "noop": asdict(noop),
                "predict": asdict(predict),
                "predict_share_of_noop": round(statistics.median(shares), 3),
                "share_range": [round(min(shares), 3), round(max(shares), 3)],
            }
        )
    print("batch, cold load, hot swap", file=sys.stderr)
    results["batch100"] = asyncio.run(_batch(base, world, 200))
    results["cold_load"] = asyncio.run(_cold_loads(base, world))
    results["hot_swap"] = asyncio.run(_hot_swaps(base, world, events_url, 6))
    return results


def markdown(results: dict[str, Any]) -> str:
    config = results["config"]
    lines = [
        "## Inference",
        "",
        f"Produced by `benchmarks/inference/run.py --update-docs` on {config['date']}: "
        f"Python {config['python']}, {config['cpus']} cores shared with other work, "
        f"one uvicorn process (uvloop, httptools) with {config['workers']} worker(s) "
        "and the service's default settings (JSON access log on), the load generator "
        "(aiohttp) in a "
        f"second process on loopback; the whole run took {config['seconds']:.0f} s "
        f"(load average {config['load_average']} at its end, so the ceiling moves "
        "from run to run).",
        "",
        "The model is a CosineKNN (top 50) trained on MovieLens 100K; requests cycle "
        "through its 943 users with `cutoff` 10 and a real API key (first use of the "
        f"key, paying PBKDF2 with 1,000,000 iterations once: "
        f"{results['first_request_with_new_key_ms']} ms). *no-op* is a route added to "
        "the same app (same middleware, same uvicorn flags) that returns a constant. "
        f"Each figure is the median of {config['rounds']} alternating runs of up to "
        f"{config['requests']} requests; the share of the ceiling is the median of "
        "the rounds' ratios (a no-op run and the predict run right after it), and "
        "its range over the rounds is shown beside it.",
        "",
        "| concurrency | no-op req/s | predict req/s | predict / no-op "
        "| predict p50 | predict p99 | no-op p99 |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for level in results["load"]:
        noop, predict = level["noop"], level["predict"]
        lines.append(
            f"| {level['concurrency']} | {noop['requests_per_second']:.0f} "
            f"| {predict['requests_per_second']:.0f} "
            f"| {level['predict_share_of_noop']:.0%} "
            f"({level['share_range'][0]:.0%}–{level['share_range'][1]:.0%}) "
            f"| {predict['p50_ms']:.1f} ms | {predict['p99_ms']:.1f} ms "
            f"| {noop['p99_ms']:.1f} ms |"
        )
    batch, cold, swap = results["batch100"], results["cold_load"], results["hot_swap"]
    lines += [
        "",
        f"- Batch of 100 users (`/predict/{{id}}/batch`, one vectorised call): "
        f"server time p50 {batch['server_p50_ms']} ms, p99 {batch['server_p99_ms']} ms "
        f"({batch['rounds']} sequential requests; from the `Server-Timing` header).",
        f"- Cold model load ({cold['artifact_mib']} MiB artifact): read, verify, map, "
        f"and prepare (user index, scoring loops from numba's cache) "
        f"{cold['load_p50_ms']} ms; the first request for the model "
        f"{cold['first_request_p50_ms']} ms end to end (median of {cold['models']}).",
        f"- Hot swap: `model_trained` published for the model a slot now points at, "
        f"until the project endpoint answers with it: p50 {swap['p50_ms']} ms, "
        f"max {swap['max_ms']} ms ({swap['rounds']} swaps).",
        "",
        "Reading the figures: the no-op route is the floor of this HTTP stack "
        "(uvicorn, FastAPI routing, the correlation-id, metrics and access-log "
        "middleware); it answers without reading the request body. A prediction "
        "adds reading and validating the JSON body, the API key (a dictionary lookup "
        "once the key is known; the rate limit is an in-memory counter merged with "
        "Redis every 0.1 s), scoring, the JSON answer and buffering an impression. "
        "Scoring one user is three compiled loops (numba, in `recotem_common`): "
        "one sums the similarity rows of the user's items, one masks what the user "
        "has seen, one takes the top k with a heap (about 20 µs in all with warm "
        "caches, against about 50 µs for the numpy code they replace); requests "
        "that reach the scorer in the same event-loop turn are scored in one call, "
        "which is why the share of the ceiling grows with concurrency. The share "
        "also moves with the machine's other load: the no-op ceiling at concurrency "
        "8 is bound by the "
        "server and the load generator together, and other work slows it more than "
        "it slows the prediction, so a quiet machine shows a lower share there than "
        "a busy one.",
        "",
    ]
    return "\n".join(_wrap(line) for line in lines)


def _wrap(line: str) -> str:
    """Prose at the width of the rest of the file; tables stay on one line."""
    if line.startswith("|") or len(line) <= WIDTH:
        return line
    indent = "  " if line.startswith("- ") else ""
    return textwrap.fill(line, WIDTH, subsequent_indent=indent, break_on_hyphens=False)


def update_docs(section: str, heading: str = "## Inference") -> None:
    """Replace the section under ``heading`` in docs/benchmarks.md, or append it."""
    text = DOCS.read_text() if DOCS.exists() else "# Benchmarks\n"
    pattern = re.compile(rf"^{re.escape(heading)}\n.*?(?=^## |\Z)", re.MULTILINE | re.DOTALL)
    if pattern.search(text):
        text = pattern.sub(lambda _: section + "\n", text)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    DOCS.write_text(text.rstrip("\n") + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=6000, help="per run, at most")
    parser.add_argument("--time-limit", type=float, default=15.0, help="s per run, at most")
    parser.add_argument("--rounds", type=int, default=5, help="runs per endpoint and level")
    parser.add_argument(
        "--concurrency",
        type=lambda v: [int(c) for c in v.split(",")],
        default=[1, 8, 32],
    )
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--update-docs", action="store_true", help=f"rewrite {DOCS.name}")
    args = parser.parse_args()

    started = time.monotonic()
    with served_world(workers=args.workers) as (server, world, events_url):
        results = measure(server.base, world, args, events_url)
    results["config"] = {
        "date": dt.date.today().isoformat(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "workers": args.workers,
        "requests": args.requests,
        "rounds": args.rounds,
        "seconds": time.monotonic() - started,
        "load_average": round(os.getloadavg()[0], 2),
    }
    print(json.dumps(results, indent=2))
    if args.update_docs:
        update_docs(markdown(results))


if __name__ == "__main__":
    main()
