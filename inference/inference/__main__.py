"""``python -m inference``: serve with the configured host, port and worker count."""

from __future__ import annotations

import os
import tempfile

import uvicorn

from inference.config import Settings


def main() -> None:
    settings = Settings()
    if settings.workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Must be set before any worker imports prometheus_client.
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="recotem-metrics-")
    uvicorn.run(
        "inference.asgi:app",
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        log_config=None,
        access_log=False,
        proxy_headers=True,
        # Both come with uvicorn[standard]; named so that "auto" cannot fall back.
        loop="uvloop",
        http="httptools",
    )


if __name__ == "__main__":
    main()
