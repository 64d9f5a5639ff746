"""Item metadata in answers, on loopback against the service as ``run.py`` sets it up.

On one model (CosineKNN on MovieLens 100K carrying ``u.item``), requests sent one at a
time in turning order, so each is measured against its baseline in the same run:

* predict with two metadata fields (``title``, ``genres``) against predict without;
* similar items for a cold item (content similarity) against similar items for a
  known item (the model's similarity).

Run from the repository root::

    uv run --project inference python benchmarks/inference/bench_item_metadata.py [--update-docs]
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
from typing import Any

from run import DOCS, _wrap, paired_latencies, served_world, update_docs

from inference.content import ContentIndex
from testbed.world import DESCRIBED_ITEMS, ml100k_item_metadata

HOST = os.environ.get("BENCH_HOST", "127.0.0.1")
DETAILS = {"fields": ["title", "genres"]}
SECTION = "## Item metadata in answers"


LABELS = {
    "predict": "predict, no fields (baseline)",
    "predict_fields": 'predict, `"fields": ["title", "genres"]`',
    "similar_model": "similar, known item, the model's similarity (baseline)",
    "similar_content": "similar, cold item, content (every comparable field)",
    "similar_genres": "similar, cold item, content over `genres`",
}


def _share(results: dict[str, Any], name: str, baseline: str, figure: str) -> float:
    return float(results[name][figure] / results[baseline][figure] - 1)


def markdown(results: dict[str, Any]) -> str:
    config = results["config"]
    timings = results["timings"]
    lines = [
        SECTION,
        "",
        f"Produced by `benchmarks/inference/bench_item_metadata.py --update-docs` on "
        f"{config['date']}: Python {config['python']}, {config['cpus']} cores shared with "
        "other work, the service in one uvicorn process as in the Inference section. The "
        "model is a CosineKNN (top 50) trained on MovieLens 100K without its last 32 "
        "movies (the cold items) and carrying `u.item` for all 1,682 (title, release "
        "date, genre list). Requests go one at a time; each round sends every request "
        "below once, in an order that turns from round to round, so the machine's other "
        f"load falls on all alike ({config['pairs']:,} rounds). Server time is the "
        "`Server-Timing` header (the app, from the first byte of the request to the "
        "last of the answer); client time adds the loopback and aiohttp.",
        "",
        "| request | server p50 | server p99 | client p50 | client p99 |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for name, label in LABELS.items():
        row = timings[name]
        lines.append(
            f"| {label} | {row['server_p50_ms']:.2f} ms | {row['server_p99_ms']:.2f} ms "
            f"| {row['client_p50_ms']:.2f} ms | {row['client_p99_ms']:.2f} ms |"
        )
    client_cost = _share(timings, "predict_fields", "predict", "client_p50_ms")
    server_cost = _share(timings, "predict_fields", "predict", "server_p50_ms")
    lines += [
        "",
        f"- Two metadata fields make a predict {client_cost:.1%} slower at the client's "
        f"p50 ({server_cost:.1%} at the server's); target at most 10 %.",
        f"- Content similarity for a cold item: server p50 "
        f"{timings['similar_content']['server_p50_ms']:.2f} ms (the model's own similarity "
        f"for a known item: {timings['similar_model']['server_p50_ms']:.2f} ms); target at "
        f"most 5 ms. The comparison alone (`ContentIndex.similar` in process, every field, "
        f"each cold item): {results['content_compute_us']:.0f} µs median. The p99 "
        "columns are the shared machine's other work, which stalls every kind of request "
        "alike.",
        "",
    ]
    return "\n".join(_wrap(line) for line in lines)


def _content_compute_us() -> float:
    """The median time of the comparison itself, without HTTP, over every cold item."""
    metadata = ml100k_item_metadata()
    index = ContentIndex(metadata)
    fields = list(index.fields)
    cold = metadata.item_ids[DESCRIBED_ITEMS:]
    samples = []
    for _ in range(20):
        for item in cold:
            started = time.perf_counter()
            index.similar(item, 10, fields=fields)
            samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=2000, help="rounds of every request")
    parser.add_argument("--update-docs", action="store_true", help=f"rewrite {DOCS.name}")
    args = parser.parse_args()

    started = time.monotonic()
    cold = str(DESCRIBED_ITEMS + 10)
    with served_world(workers=1, host=HOST) as (server, world, _):
        base = server.base
        model = world.new_model("described")
        requests: dict[str, tuple[str, str, dict[str, Any]]] = {
            "predict": ("POST", f"/predict/{model}", {}),
            "predict_fields": ("POST", f"/predict/{model}", DETAILS),
            "similar_model": ("GET", f"/similar/{model}/50", {}),
            "similar_content": ("GET", f"/similar/{model}/{cold}", {}),
            "similar_genres": ("GET", f"/similar/{model}/{cold}", {"content_fields": "genres"}),
        }
        asyncio.run(paired_latencies(base, world.api_key, requests, 50))
        timings = asyncio.run(paired_latencies(base, world.api_key, requests, args.pairs))
    results: dict[str, Any] = {"timings": timings, "content_compute_us": _content_compute_us()}
    results["config"] = {
        "date": dt.date.today().isoformat(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "pairs": args.pairs,
        "seconds": round(time.monotonic() - started),
    }
    print(json.dumps(results, indent=2))
    if args.update_docs:
        update_docs(markdown(results), SECTION)


if __name__ == "__main__":
    main()
