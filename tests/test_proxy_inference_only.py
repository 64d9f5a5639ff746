"""The serving-only proxy (nginx-inference.conf), with a real nginx."""

from __future__ import annotations

import httpx
import pytest

from support import RunningProxy, StartProxy, Upstream
from test_proxy_routes import assert_security_headers, error_code


@pytest.fixture(scope="module")
def inference_proxy(start_proxy: StartProxy) -> RunningProxy:
    return start_proxy(config="nginx-inference.conf")


def test_inference_is_served_at_the_same_urls_as_in_the_full_stack(
    inference_proxy: RunningProxy, upstream: Upstream
) -> None:
    response = httpx.post(f"{inference_proxy.url}/inference/predict/project/4", json={})
    assert response.json()["path"] == "/predict/project/4"
    assert upstream.received[-1].headers["X-Forwarded-For"] == "127.0.0.1"
    assert_security_headers(response)


def test_nothing_but_inference_is_served(inference_proxy: RunningProxy, upstream: Upstream) -> None:
    before = len(upstream.received)
    for path in (
        "/",
        "/api/v1/ping/",
        "/admin/",
        "/assets/index-3f9a1c2b.js",
        "/inference/metrics",
    ):
        response = httpx.get(f"{inference_proxy.url}{path}")
        assert response.status_code == 404, path
        assert error_code(response) == "not_found"
        assert_security_headers(response)
    assert len(upstream.received) == before
    assert httpx.get(f"{inference_proxy.url}/healthz").status_code == 200
