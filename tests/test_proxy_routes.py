"""The full-stack proxy (nginx.conf) as a browser and an API client meet it, with a real nginx."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterator

import aiohttp
import httpx
import pytest

from support import (
    TRUSTED_CLIENT_HOST,
    UPSTREAM_HOST,
    RunningProxy,
    StartProxy,
    Upstream,
    free_port,
)

SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "strict-origin-when-cross-origin",
    "cross-origin-opener-policy": "same-origin",
    "strict-transport-security": "max-age=31536000",
}
ONE_YEAR_IMMUTABLE = "public, max-age=31536000, immutable"


def assert_security_headers(response: httpx.Response) -> None:
    for name, value in SECURITY_HEADERS.items():
        # Exactly once: an upstream's own copy must not reach the client beside nginx's.
        assert response.headers.get_list(name) == [value], name
    assert "camera=()" in response.headers["permissions-policy"]
    policy = dict(
        directive.strip().split(" ", 1)
        for directive in response.headers["content-security-policy"].split(";")
    )
    assert policy["script-src"] == "'self'"
    assert policy["default-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["object-src"] == "'none'"


def error_code(response: httpx.Response) -> str:
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["detail"] == body["error"]["message"]
    return str(body["error"]["code"])


@pytest.fixture
def client(proxy: RunningProxy) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=proxy.url, timeout=10) as http:
        yield http


# --- The SPA ----------------------------------------------------------------------------


def test_the_index_is_served_with_every_security_header_and_never_cached(
    client: httpx.Client,
) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert '<div id="app">' in response.text
    assert response.headers["cache-control"] == "no-store"
    assert_security_headers(response)


def test_client_side_routes_get_the_index(client: httpx.Client) -> None:
    for path in ("/projects/7/data", "/login?redirect=/projects", "/index.html"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert '<div id="app">' in response.text
        assert response.headers["cache-control"] == "no-store"


def test_hashed_assets_are_cached_for_a_year_and_keep_the_security_headers(
    client: httpx.Client,
) -> None:
    for path, content_type in (
        ("/assets/index-3f9a1c2b.js", "application/javascript"),
        ("/assets/index-77d0e1aa.css", "text/css"),
    ):
        response = client.get(path)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith(content_type)
        assert response.headers["cache-control"] == ONE_YEAR_IMMUTABLE
        assert_security_headers(response)


def test_a_missing_asset_is_a_plain_404_and_not_cached(client: httpx.Client) -> None:
    response = client.get("/assets/index-00000000.js")
    assert response.status_code == 404
    assert '<div id="app">' not in response.text
    assert "cache-control" not in response.headers
    assert_security_headers(response)


def test_other_files_at_the_root_are_revalidated(client: httpx.Client) -> None:
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-cache"


def test_text_is_compressed_and_the_server_names_no_version(client: httpx.Client) -> None:
    asset = client.get("/assets/index-3f9a1c2b.js", headers={"Accept-Encoding": "gzip"})
    assert asset.headers["content-encoding"] == "gzip"
    assert "Accept-Encoding" in asset.headers["vary"]
    api = client.get("/api/v1/project/?pad=5000", headers={"Accept-Encoding": "gzip"})
    assert api.headers["content-encoding"] == "gzip"
    assert len(api.json()["pad"]) == 5000
    assert asset.headers["server"] == "nginx"


def test_the_health_check_answers_without_any_upstream(client: httpx.Client) -> None:
    response = client.get("/healthz")
    assert (response.status_code, response.text) == (200, "ok\n")


# --- The backend ------------------------------------------------------------------------


def test_api_requests_reach_the_backend_with_the_client_address_nginx_saw(
    client: httpx.Client, upstream: Upstream, proxy: RunningProxy
) -> None:
    response = client.get(
        "/api/v1/project/?page=2",
        headers={"X-Forwarded-For": "203.0.113.9", "X-Real-IP": "203.0.113.9"},
    )
    assert response.status_code == 200
    assert_security_headers(response)
    received = upstream.received[-1]
    assert received.path == "/api/v1/project/?page=2"
    assert received.headers["X-Forwarded-For"] == "127.0.0.1"
    assert received.headers["X-Real-IP"] == "127.0.0.1"
    assert received.headers["X-Forwarded-Proto"] == "http"
    # The port stays, so the backend's same-origin check matches the browser's Origin.
    assert received.headers["Host"] == proxy.url.removeprefix("http://")


def test_a_correlation_id_follows_the_request_into_the_log(
    client: httpx.Client, upstream: Upstream, proxy: RunningProxy
) -> None:
    client.get("/api/v1/ping/", headers={"X-Correlation-ID": "checkout-42"})
    assert upstream.received[-1].headers["X-Correlation-ID"] == "checkout-42"
    client.get("/api/v1/ping/?generated=1")
    generated = upstream.received[-1].headers["X-Correlation-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", generated)
    logged = {entry["correlation_id"] for entry in proxy.access_log(containing=generated)}
    assert {"checkout-42", generated} <= logged


def test_admin_pages_reach_the_backend_and_its_static_files_are_served_from_disk(
    client: httpx.Client, upstream: Upstream
) -> None:
    assert client.get("/admin/recotem/").json()["path"] == "/admin/recotem/"
    css = client.get("/static/admin/css/base.css", headers={"Accept-Encoding": "gzip"})
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    assert css.headers["content-encoding"] == "gzip"
    assert css.headers["cache-control"] == "no-cache"
    assert_security_headers(css)
    assert client.get("/static/admin/css/missing.css").status_code == 404


def test_websockets_are_upgraded_and_their_tokens_stay_out_of_the_access_log(
    proxy: RunningProxy,
) -> None:
    async def converse() -> list[str]:
        url = proxy.url.replace("http://", "ws://") + "/ws/job/5/?token=secret-ws-token"
        async with aiohttp.ClientSession() as session, session.ws_connect(url) as socket_:
            greeting = await socket_.receive_str(timeout=5)
            await socket_.send_str("ping")
            return [greeting, await socket_.receive_str(timeout=5)]

    assert asyncio.run(converse()) == ["connected /ws/job/5/?token=secret-ws-token", "ping"]
    entries = proxy.access_log(containing="/ws/job/5/")
    assert "secret-ws-token" not in proxy.settings.access_log.read_text()
    entry = next(e for e in entries if e["path"] == "/ws/job/5/")
    assert (entry["status"], entry["query"]) == (101, "")


def test_websocket_queries_never_reach_the_access_log(
    client: httpx.Client, proxy: RunningProxy
) -> None:
    for query in ("ticket=secret-ticket-1", "x=1&ticket=secret-ticket-2", "tick%65t=secret-3"):
        client.get(f"/ws/model/7/?{query}")
    client.get("/api/v1/ping/?ticket=secret-ticket-4")
    entries = proxy.access_log(containing="/ws/model/7/")
    assert "secret-" not in proxy.settings.access_log.read_text()
    assert {e["query"] for e in entries if e["path"] == "/ws/model/7/"} == {""}


def test_no_query_token_reaches_the_access_log_however_it_is_spelt(
    client: httpx.Client, proxy: RunningProxy
) -> None:
    for query in ("page=2&token=secret-1", "Token=secret-2", "%74oken=secret-3", "token=secret-4"):
        client.get(f"/api/v1/ping/?{query}")
    client.get("/api/v1/ping/?page=3&ordering=-id")
    entries = proxy.access_log(containing="ordering=-id")
    assert "secret-" not in proxy.settings.access_log.read_text()
    assert any(e["query"] == "page=3&ordering=-id" for e in entries)


def test_login_attempts_are_limited_per_client_whatever_address_it_claims(
    client: httpx.Client,
) -> None:
    """5 a minute with a burst of 3, shared by both API mounts and the admin's login."""
    statuses = [
        client.post(path, json={}, headers={"X-Forwarded-For": f"198.51.100.{n}"}).status_code
        for n, path in enumerate(
            ["/api/v1/auth/login/", "/api/auth/login/", "/admin/login/", "/api/v1/auth/login/"] * 2
        )
    ]
    assert statuses == [200] * 4 + [429] * 4
    refused = client.post("/api/v1/auth/login/", json={})
    assert error_code(refused) == "throttled"
    assert refused.headers["retry-after"] == "12"
    assert_security_headers(refused)
    # Other API calls have their own, wider limit.
    assert client.get("/api/v1/ping/").status_code == 200


# --- The inference service ----------------------------------------------------------------


def test_inference_requests_lose_the_prefix(client: httpx.Client, upstream: Upstream) -> None:
    response = client.post("/inference/predict/3?explain=1", json={"user_id": "1"})
    assert response.json()["path"] == "/predict/3?explain=1"
    assert upstream.received[-1].method == "POST"
    assert_security_headers(response)


def test_inference_metrics_are_not_published(client: httpx.Client, upstream: Upstream) -> None:
    before = len(upstream.received)
    for path in ("/inference/metrics", "/inference//metrics", "/inference/%6detrics"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert error_code(response) == "not_found"
    assert len(upstream.received) == before


# --- Limits, timeouts and failures ------------------------------------------------------


@pytest.fixture(scope="module")
def strict_proxy(start_proxy: StartProxy) -> RunningProxy:
    """Small rate limits, to see each of them hold."""
    return start_proxy(
        {
            "PROXY_API_RATE": "1r/m",
            "PROXY_API_BURST": "2",
            "PROXY_INFERENCE_RATE": "1r/m",
            "PROXY_INFERENCE_BURST": "1",
        }
    )


@pytest.fixture(scope="module")
def small_proxy(start_proxy: StartProxy) -> RunningProxy:
    """A small body limit and a short upstream timeout."""
    return start_proxy({"PROXY_MAX_BODY_SIZE": "1m", "PROXY_UPSTREAM_TIMEOUT": "1s"})


def test_api_and_inference_calls_over_their_rate_get_429_in_the_error_envelope(
    strict_proxy: RunningProxy,
) -> None:
    with httpx.Client(base_url=strict_proxy.url) as http:
        api = [http.get("/api/v1/project/") for _ in range(4)]
        inference = [http.get("/inference/health") for _ in range(3)]
    assert [r.status_code for r in api] == [200, 200, 200, 429]
    assert [r.status_code for r in inference] == [200, 200, 429]
    for refused in (api[-1], inference[-1]):
        assert error_code(refused) == "throttled"
        assert refused.headers["retry-after"] == "1"
        assert_security_headers(refused)


def test_uploads_up_to_the_body_limit_stream_through_and_larger_ones_get_a_json_413(
    small_proxy: RunningProxy, upstream: Upstream
) -> None:
    with httpx.Client(base_url=small_proxy.url, timeout=10) as http:
        fits = http.post("/api/v1/training_data/", content=b"a" * 900_000)
        assert fits.status_code == 200
        assert upstream.received[-1].body_bytes == 900_000

        declared = http.post("/api/v1/training_data/", content=b"a" * 1_500_000)
        assert declared.status_code == 413
        assert error_code(declared) == "payload_too_large"
        assert_security_headers(declared)

        def chunks() -> Iterator[bytes]:
            for _ in range(30):
                yield b"b" * 64 * 1024

        undeclared = http.post("/api/v1/training_data/", content=chunks())
        assert undeclared.status_code == 413
        assert error_code(undeclared) == "payload_too_large"


def test_a_backend_slower_than_the_timeout_gets_a_json_503(small_proxy: RunningProxy) -> None:
    started = time.monotonic()
    response = httpx.get(f"{small_proxy.url}/api/v1/slow/?sleep=3", timeout=10)
    assert time.monotonic() - started < 2.5
    assert response.status_code == 503
    assert error_code(response) == "service_unavailable"
    assert response.headers["retry-after"] == "5"


def test_the_site_and_health_check_stay_up_while_the_backend_and_inference_are_down(
    start_proxy: StartProxy,
) -> None:
    down = start_proxy(upstream_address=f"{UPSTREAM_HOST}:{free_port(UPSTREAM_HOST)}")
    with httpx.Client(base_url=down.url) as http:
        assert http.get("/healthz").status_code == 200
        assert http.get("/projects").status_code == 200
        for path in ("/api/v1/ping/", "/inference/health"):
            response = http.get(path)
            assert response.status_code == 503, path
            assert error_code(response) == "service_unavailable"
            assert_security_headers(response)


def test_a_trusted_load_balancer_can_name_the_client_and_nobody_else_can(
    start_proxy: StartProxy, upstream: Upstream
) -> None:
    behind_balancer = start_proxy({"PROXY_TRUSTED_PROXY": f"{TRUSTED_CLIENT_HOST}/32"})
    through_balancer = httpx.HTTPTransport(local_address=TRUSTED_CLIENT_HOST)
    with httpx.Client(base_url=behind_balancer.url, transport=through_balancer) as http:
        http.get("/api/v1/ping/", headers={"X-Forwarded-For": "198.51.100.7"})
    assert upstream.received[-1].headers["X-Forwarded-For"] == "198.51.100.7"

    httpx.get(f"{behind_balancer.url}/api/v1/ping/", headers={"X-Forwarded-For": "198.51.100.8"})
    assert upstream.received[-1].headers["X-Forwarded-For"] == "127.0.0.1"
