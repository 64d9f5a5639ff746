"""Prometheus metrics: requests and the model cache.

Each app gets its own registry, so several apps in one process (tests) do not collide.
With ``PROMETHEUS_MULTIPROC_DIR`` set (several uvicorn workers), prometheus_client keeps
values in shared files and ``/metrics`` aggregates every worker.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
LOAD_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter(
            "recotem_inference_requests_total",
            "HTTP requests answered.",
            ["method", "route", "status"],
            registry=r,
        )
        self.latency = Histogram(
            "recotem_inference_request_duration_seconds",
            "Time to answer an HTTP request.",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.errors = Counter(
            "recotem_inference_errors_total",
            "Error responses by error code.",
            ["route", "code"],
            registry=r,
        )
        self.fallbacks = Counter(
            "recotem_inference_fallbacks_total",
            "Recommendations answered with popular items for unknown users.",
            registry=r,
        )
        self.cache_models = Gauge(
            "recotem_inference_model_cache_models",
            "Models held in memory.",
            registry=r,
            multiprocess_mode="livesum",
        )
        self.cache_bytes = Gauge(
            "recotem_inference_model_cache_bytes",
            "Bytes of model arrays held in memory.",
            registry=r,
            multiprocess_mode="livesum",
        )
        self.cache_hits = Counter(
            "recotem_inference_model_cache_hits_total",
            "Model lookups served from memory.",
            registry=r,
        )
        self.cache_misses = Counter(
            "recotem_inference_model_cache_misses_total",
            "Model lookups that had to load.",
            registry=r,
        )
        self.cache_evictions = Counter(
            "recotem_inference_model_cache_evictions_total",
            "Models dropped to stay within the cache bounds.",
            registry=r,
        )
        self.model_loads = Counter(
            "recotem_inference_model_loads_total",
            "Model file loads by result.",
            ["result"],
            registry=r,
        )
        self.model_load_seconds = Histogram(
            "recotem_inference_model_load_seconds",
            "Time to read, verify and decode a model file.",
            buckets=LOAD_BUCKETS,
            registry=r,
        )
        self.impressions_written = Counter(
            "recotem_inference_impressions_written_total",
            "Impressions stored in the database.",
            registry=r,
        )
        self.impressions_dropped = Counter(
            "recotem_inference_impressions_dropped_total",
            "Impressions dropped because the database stayed unreachable.",
            registry=r,
        )
        self.impressions_rejected = Counter(
            "recotem_inference_impressions_rejected_total",
            "Impressions the database refused one by one (their project deleted "
            "meanwhile, a value it cannot store); the rest of their batch was stored.",
            registry=r,
        )

    def render(self) -> tuple[bytes, str]:
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
            return generate_latest(registry), CONTENT_TYPE_LATEST
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
