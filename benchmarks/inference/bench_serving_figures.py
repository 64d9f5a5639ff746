"""The cost of the serving figures, on loopback against the service as ``run.py`` sets it up.

Predict on one model (CosineKNN on MovieLens 100K) through the production route, whose
requests are counted in the serving figures, against the same endpoint behind a key
check that leaves them out (``noop_app.py``), in the same process and run:

* one request at a time, the two in turning order (``--pairs`` rounds);
* ``--concurrency`` connections, runs of each alternating (``--rounds``), with the
  server process's CPU time per request.

Afterwards the figures are read back from ``GET /serving`` and must count exactly the
recorded requests. Run from the repository root::

    uv run --project inference python benchmarks/inference/bench_serving_figures.py [--update-docs]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import statistics
import time
import urllib.request
from dataclasses import asdict
from typing import Any

import redis.asyncio as aioredis
from run import (
    DOCS,
    LoadResult,
    Server,
    _load,
    _median_run,
    _wrap,
    paired_latencies,
    served_world,
    update_docs,
)

from inference.serving import ServingRecorder

HOST = os.environ.get("BENCH_HOST", "127.0.0.1")
SECTION = "## Serving figures"
TARGET = 0.03
# Every worker adds its counts to Redis once a second.
FLUSHED_SECONDS = 2.5


def _counted_requests(base: str, key: str) -> int:
    url = f"{base}/serving?minutes=120"
    request = urllib.request.Request(url, headers={"X-API-Key": key})  # noqa: S310 - loopback
    with urllib.request.urlopen(request, timeout=5) as answer:  # noqa: S310 - loopback
        return int(json.load(answer)["totals"]["requests"])


def _record_us(calls: int = 200_000) -> float:
    """The in-process cost of counting one answer (``ServingRecorder.record``), median
    of ten runs, in microseconds."""
    recorder = ServingRecorder(redis=aioredis.Redis())
    samples = []
    for _ in range(10):
        started = time.perf_counter()
        for number in range(calls):
            recorder.record(
                project_id=1,
                slot_id=2,
                model_id=3,
                status=200,
                error_code=None,
                elapsed_seconds=0.0001 * (number % 50),
            )
        samples.append((time.perf_counter() - started) / calls * 1e6)
    return statistics.median(samples)


def _load_rounds(
    server: Server, urls: dict[str, str], key: str, args: argparse.Namespace
) -> tuple[dict[str, Any], int]:
    runs: dict[str, list[LoadResult]] = {name: [] for name in urls}
    cpu_us: dict[str, list[float]] = {name: [] for name in urls}
    for number in range(args.rounds):
        order = list(urls) if number % 2 == 0 else list(reversed(urls))
        for name in order:
            cpu_before = server.cpu_seconds()
            run = asyncio.run(
                _load(
                    urls[name],
                    key,
                    concurrency=args.concurrency,
                    requests=args.requests,
                    time_limit=args.time_limit,
                )
            )
            runs[name].append(run)
            cpu_us[name].append((server.cpu_seconds() - cpu_before) / run.requests * 1e6)
    failed = [run for name in runs for run in runs[name] if run.errors]
    if failed:
        raise RuntimeError(f"{len(failed)} runs had non-200 answers: {failed}")
    # Each round's two runs met the same background load, so their ratio is steadier
    # than the ratio of the medians.
    throughput_ratios = [
        recorded.requests_per_second / unrecorded.requests_per_second
        for recorded, unrecorded in zip(runs["recorded"], runs["unrecorded"], strict=True)
    ]
    summary = {
        name: {
            **asdict(_median_run(results)),
            "p50_ms_median": statistics.median(run.p50_ms for run in results),
            "p99_ms_median": statistics.median(run.p99_ms for run in results),
            "cpu_us_per_request": statistics.median(cpu_us[name]),
        }
        for name, results in runs.items()
    }
    summary["throughput_ratio"] = {
        "median": statistics.median(throughput_ratios),
        "range": [min(throughput_ratios), max(throughput_ratios)],
    }
    return summary, sum(run.requests for run in runs["recorded"])


def measure(args: argparse.Namespace) -> dict[str, Any]:
    with served_world(workers=1, host=HOST) as (server, world, _):
        base, model = server.base, world.model_id
        requests: dict[str, tuple[str, str, dict[str, Any]]] = {
            "recorded": ("POST", f"/predict/{model}", {}),
            "unrecorded": ("POST", f"/predict/unrecorded/{model}", {}),
        }
        asyncio.run(paired_latencies(base, world.api_key, requests, 100))
        time.sleep(FLUSHED_SECONDS)
        before = _counted_requests(base, world.api_key)
        paired = asyncio.run(paired_latencies(base, world.api_key, requests, args.pairs))
        urls = {name: f"{base}{path}" for name, (_, path, _) in requests.items()}
        load, recorded_under_load = _load_rounds(server, urls, world.api_key, args)
        time.sleep(FLUSHED_SECONDS)
        counted = _counted_requests(base, world.api_key) - before
    return {
        "paired": paired,
        "load": load,
        "sent_recorded": args.pairs + recorded_under_load,
        "counted": counted,
        "record_us": _record_us(),
    }


def _cost(results: dict[str, Any], figure: str) -> float:
    return float(results["recorded"][figure] / results["unrecorded"][figure] - 1)


def markdown(results: dict[str, Any]) -> str:
    config = results["config"]
    paired, load = results["paired"], results["load"]
    lines = [
        SECTION,
        "",
        f"Produced by `benchmarks/inference/bench_serving_figures.py --update-docs` on "
        f"{config['date']}: Python {config['python']}, {config['cpus']} cores shared with "
        f"other work (load average {config['load_average']} at the end), the service in "
        "one uvicorn process as in the Inference section, with a CosineKNN on MovieLens "
        "100K. *Recorded* is the production `POST /predict/{model_id}`, counted in the "
        "serving figures; *unrecorded* (the baseline) is the same endpoint in the same "
        "process behind a key check that does not name the project, so the request is "
        "left out. The once-a-second flush to Redis runs in that process for both. "
        f"One at a time: {config['pairs']:,} rounds, the two in turning order. Under "
        f"load: {config['concurrency']} connections, {config['rounds']} rounds of one run "
        f"of each (at most {config['requests']:,} requests), in turning order; the "
        "median run's throughput, the median of the runs' p50 and p99, and the server "
        "process's CPU time per request (from `/proc`, median over the runs). The load "
        "generator shares the two cores with the service, so under load the CPU time "
        "is the steady measure of what recording costs; throughput and latency move "
        "with the machine, as the range of the rounds' throughput ratios shows.",
        "",
        "| predict | server p50 | server p99 | client p50 | client p99 |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for name in ("unrecorded", "recorded"):
        row = paired[name]
        lines.append(
            f"| {name}, one at a time | {row['server_p50_ms']:.2f} ms "
            f"| {row['server_p99_ms']:.2f} ms | {row['client_p50_ms']:.2f} ms "
            f"| {row['client_p99_ms']:.2f} ms |"
        )
    lines += [
        "",
        f"| predict, {config['concurrency']} connections | server CPU per request "
        "| requests/s | p50 | p99 |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for name in ("unrecorded", "recorded"):
        row = load[name]
        lines.append(
            f"| {name} | {row['cpu_us_per_request']:.0f} µs "
            f"| {row['requests_per_second']:,.0f} | {row['p50_ms_median']:.2f} ms "
            f"| {row['p99_ms_median']:.2f} ms |"
        )
    costs = {
        "server p50": _cost(paired, "server_p50_ms"),
        "server mean": _cost(paired, "server_mean_ms"),
        "client p50": _cost(paired, "client_p50_ms"),
        "server CPU per request under load": _cost(load, "cpu_us_per_request"),
    }
    met = all(cost <= TARGET for cost in costs.values())
    record_share = results["record_us"] / 1000 / paired["recorded"]["server_p50_ms"]
    ratio = load["throughput_ratio"]
    lines += [
        "",
        "- Recording makes predict "
        + ", ".join(f"{cost:+.1%} at the {name}" for name, cost in costs.items())
        + f"; target at most {TARGET:.0%} more: {'met' if met else 'missed'}.",
        f"- Under load, recorded throughput is {ratio['median'] - 1:+.1%} against "
        f"unrecorded (median of the rounds; from {ratio['range'][0] - 1:+.1%} to "
        f"{ratio['range'][1] - 1:+.1%}); p50 {_cost(load, 'p50_ms_median'):+.1%}, "
        f"p99 {_cost(load, 'p99_ms_median'):+.1%}.",
        f"- In process, counting one answer (`ServingRecorder.record`) takes "
        f"{results['record_us']:.2f} µs, {record_share:.1%} "
        "of the server p50 above; it runs after the answer is sent. The server times "
        "come from `Server-Timing` in steps of 0.01 ms, one step being about 6% of this "
        "p50 (the mean is finer).",
        f"- The figures counted {results['counted']:,} of the {results['sent_recorded']:,} "
        "recorded requests sent (read back from `GET /serving`).",
        "",
    ]
    return "\n".join(_wrap(line) for line in lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=3000, help="rounds one at a time")
    parser.add_argument("--concurrency", type=int, default=8, help="connections under load")
    parser.add_argument("--rounds", type=int, default=9, help="load runs of each")
    parser.add_argument("--requests", type=int, default=12000, help="per load run, at most")
    parser.add_argument("--time-limit", type=float, default=15.0, help="s per load run")
    parser.add_argument("--update-docs", action="store_true", help=f"rewrite {DOCS.name}")
    args = parser.parse_args()

    results = measure(args)
    results["config"] = {
        "date": dt.date.today().isoformat(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "pairs": args.pairs,
        "concurrency": args.concurrency,
        "rounds": args.rounds,
        "requests": args.requests,
        "load_average": round(os.getloadavg()[0], 2),
    }
    print(json.dumps(results, indent=2))
    if args.update_docs:
        update_docs(markdown(results), SECTION)


if __name__ == "__main__":
    main()
