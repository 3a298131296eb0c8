"""Prometheus metrics of one worker process.

Each app gets its own registry (tests build several apps in one process). With several uvicorn
workers each worker exposes its own counters: a scrape reaches one worker at a time, so
dashboards sum over the `instance`/`pid` they scrape, or workers are scraped one by one (see
docs/serving.md). No multiprocess mode: it would need a shared directory and gives nothing the
per-worker series do not.
"""

from __future__ import annotations

import os

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Info

# Latency buckets around the targets (p99 <= 25 ms): fine below 50 ms, coarse above.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.0075, 0.01, 0.015, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        labels = ("method", "endpoint", "status")
        self.requests = Counter(
            "reco_http_requests", "HTTP requests answered, by route template", labels, registry=self.registry
        )
        self.latency = Histogram(
            "reco_http_request_duration_seconds",
            "Time from request received to response sent, by route template",
            labels,
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.reloads = Counter(
            "reco_reloads",
            "Run loads by trigger (startup, api, watcher) and result",
            ("trigger", "result"),
            registry=self.registry,
        )
        self.state_loads = Counter(
            "reco_state_loads",
            "Catalogue-state and rules loads (following catalog_current, rules_current) by kind and result",
            ("kind", "result"),
            registry=self.registry,
        )
        self.run = Info("reco_active_run", "The run and profile this worker serves", registry=self.registry)
        self.ready = Gauge("reco_ready", "1 when this worker serves a run", registry=self.registry)
        self.loaded_at = Gauge(
            "reco_active_run_loaded_timestamp_seconds",
            "When the served run was loaded",
            registry=self.registry,
        )
        Info("reco_worker", "This worker process", registry=self.registry).info({"pid": str(os.getpid())})

    def active(self, run_id: str, profile: str, run_dir: str) -> None:
        self.run.info({"run_id": run_id, "profile": profile, "run_dir": run_dir})
        self.ready.set(1)
        self.loaded_at.set_to_current_time()

    def observe(self, method: str, endpoint: str, status: int, seconds: float) -> None:
        labels = (method, endpoint, str(status))
        self.requests.labels(*labels).inc()
        self.latency.labels(*labels).observe(seconds)
