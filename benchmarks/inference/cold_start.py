"""Latency in the first seconds after the inference service reports ready.

Starts the service (uvicorn, the flags ``make run`` uses, two workers by default) and,
the moment ``/health`` answers 200, puts a load of 8 connections on ``/predict`` for 10
seconds: the "first 10 s" figures. A second load of the same length follows on the warm
service: "steady". Each start is measured with two API keys in turn, both hashed with
Django's default PBKDF2 cost:

* a key as the backend issues it now, with its lookup digest: identified without PBKDF2;
* a key without one, as keys were issued before (the baseline): each worker's first
  request with it runs PBKDF2, and the connections that arrive meanwhile wait for it.

Run from the repository root::

    uv run --project inference python benchmarks/inference/cold_start.py [--update-docs]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from run import DOCS, _load, _wrap, build_world, serve, service_env, update_docs

from recotem_common.embedded_redis import start_embedded_redis

HEADING = "## Inference cold start"
CONNECTIONS = 8
KEYS = {
    "digest": "with lookup digest (now)",
    "digestless": "without lookup digest (before)",
}


def _start_and_load(
    env: dict[str, str], key: str, args: argparse.Namespace, log: Path, url_of: Any
) -> dict[str, Any]:
    with serve(env, args.workers, log, host=args.host) as server:
        url = url_of(server.base)

        def load() -> dict[str, Any]:
            result = asyncio.run(
                _load(
                    url,
                    key,
                    concurrency=CONNECTIONS,
                    requests=10**9,
                    time_limit=args.seconds,
                )
            )
            if result.errors:
                raise RuntimeError(f"{result.errors} non-200 answers: {result}")
            return asdict(result)

        return {"first": load(), "steady": load()}


def measure(args: argparse.Namespace) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="recotem-cold-start-"))
    (workdir / "data").mkdir()
    embedded = None if os.environ.get("REDIS_URL") else start_embedded_redis()
    redis_url = os.environ.get("REDIS_URL") or (embedded.url if embedded else "")
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in KEYS}
    try:
        print("setting up: migrations, models, rows", file=sys.stderr)
        world = build_world(workdir / "data", workdir / "media")
        keys = {"digest": world.api_key, "digestless": world.digestless_api_key}
        env = service_env(workdir, redis_url)
        for round_number in range(args.rounds):
            # Alternating, so that a slow spell of the machine affects both keys.
            for name, key in keys.items():
                print(f"round {round_number + 1}: key {KEYS[name]}", file=sys.stderr)
                runs[name].append(
                    _start_and_load(
                        env,
                        key,
                        args,
                        workdir / "server.log",
                        lambda base: f"{base}/predict/{world.model_id}",
                    )
                )
    finally:
        if embedded is not None:
            embedded.stop()
    return {
        "runs": runs,
        "config": {
            "date": dt.date.today().isoformat(),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "workers": args.workers,
            "connections": CONNECTIONS,
            "seconds_per_load": args.seconds,
            "rounds": args.rounds,
            "load_average": round(os.getloadavg()[0], 2),
        },
    }


def markdown(results: dict[str, Any]) -> str:
    config = results["config"]
    lines = [
        HEADING,
        "",
        f"Produced by `benchmarks/inference/cold_start.py --update-docs` on {config['date']}: "
        f"Python {config['python']}, {config['cpus']} CPUs shared with other work (load "
        f"average {config['load_average']} at the end), {config['workers']} uvicorn workers. "
        f"The moment `/health` answers 200, {config['connections']} connections post to "
        f'`/predict` for {config["seconds_per_load"]:g} s ("first 10 s"), then again on the '
        'warm service ("steady"); each key in turn, '
        f"{config['rounds']} starts each. The baseline is a key without lookup digest, as "
        "keys were issued before: each worker runs PBKDF2 (Django's default cost) on its "
        "first request with it, and requests arriving meanwhile wait. A key with its digest "
        "is identified without PBKDF2. Milliseconds; the median over the starts, with the "
        "range in brackets. Compare the rows of one run: both keys met the same machine, and "
        "on a machine busy with other work its load shows in every column.",
        "",
        "| API key | first 10 s p50 | first 10 s p99 | first 10 s max | steady p50 | steady p99 |",
        "|---|---|---|---|---|---|",
    ]

    def cell(runs: list[dict[str, Any]], phase: str, field: str) -> str:
        values = [run[phase][field] for run in runs]
        median = statistics.median(values)
        return f"{median:.1f} [{min(values):.1f}–{max(values):.1f}]"

    for name, label in KEYS.items():
        runs = results["runs"][name]
        lines.append(
            f"| {label} | {cell(runs, 'first', 'p50_ms')} | {cell(runs, 'first', 'p99_ms')} "
            f"| {cell(runs, 'first', 'max_ms')} | {cell(runs, 'steady', 'p50_ms')} "
            f"| {cell(runs, 'steady', 'p99_ms')} |"
        )
    return "\n".join(_wrap(line) for line in lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=10.0, help="per load")
    parser.add_argument("--rounds", type=int, default=3, help="starts per key")
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to serve on")
    parser.add_argument("--update-docs", action="store_true", help=f"rewrite {DOCS.name}")
    args = parser.parse_args()
    started = time.monotonic()
    results = measure(args)
    results["config"]["seconds"] = round(time.monotonic() - started)
    print(json.dumps(results, indent=2))
    if args.update_docs:
        update_docs(markdown(results), heading=HEADING)


if __name__ == "__main__":
    main()
