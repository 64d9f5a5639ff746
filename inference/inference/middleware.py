"""Request bookkeeping as one plain ASGI middleware (cheaper than BaseHTTPMiddleware).

It sets the correlation id for the request's logs and echoes it back, reports the
server's own time in ``Server-Timing``, records metrics, the serving figures of
recommendation requests (``inference.serving``) and the access log, and turns an
unexpected exception into the error envelope so even a 500 carries the correlation id.
It also bounds the request body: a ``Content-Length`` above the limit is answered 413
before anything is read, and a body without one is counted while it streams in and
refused once it passes the limit, so no request makes a worker read more than that.
"""

from __future__ import annotations

import logging
import time

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from inference.errors import PayloadTooLarge, PermissionDenied, handle_error
from inference.metrics import Metrics
from inference.serving import MODEL_STATE, PROJECT_STATE, SLOT_STATE
from recotem_common.correlation import CORRELATION_HEADER, new_correlation_id
from recotem_common.errors import error_body
from recotem_common.logs import correlation_id

access_logger = logging.getLogger("inference.access")
_HEADER_NAME = CORRELATION_HEADER.lower().encode()
_CONTENT_LENGTH = b"content-length"


def _route_template(scope: Scope) -> str:
    route = scope.get("route")
    # Unknown paths share one label so scanners cannot blow up metric cardinality.
    return getattr(route, "path", "unmatched")


class RequestContextMiddleware:
    def __init__(
        self, app: ASGIApp, *, metrics: Metrics, access_log: bool, max_body_bytes: int
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.access_log = access_log
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        supplied = None
        content_length: bytes | None = None
        for name, value in scope["headers"]:
            if name == _HEADER_NAME:
                supplied = value.decode("latin-1")
            elif name == _CONTENT_LENGTH:
                content_length = value
        cid = new_correlation_id(supplied)
        token = correlation_id.set(cid)
        status = 500
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status = message["status"]
                response_started = True
                duration = (time.perf_counter() - started) * 1000
                message["headers"] = [
                    *message.get("headers", []),
                    (_HEADER_NAME, cid.encode("latin-1")),
                    (b"server-timing", f"app;dur={duration:.2f}".encode()),
                ]
            await send(message)

        try:
            if content_length is None or not content_length.isdigit():
                receive = self._bounded(receive)
            elif int(content_length) > self.max_body_bytes:
                raise self._too_large()
            await self.app(scope, receive, send_with_id)
        except Exception as exc:
            if response_started:
                raise
            response = handle_error(Request(scope), exc)
            await response(scope, receive, send_with_id)
        finally:
            self._record(scope, status, time.perf_counter() - started)
            correlation_id.reset(token)

    def _too_large(self) -> PayloadTooLarge:
        return PayloadTooLarge(
            f"The request body is larger than the limit of {self.max_body_bytes} bytes; "
            "send fewer ids per request (the limit is INFERENCE_MAX_BODY_BYTES)."
        )

    def _bounded(self, receive: Receive) -> Receive:
        """``receive`` for a body of unknown length, refused once it passes the limit."""
        received = 0

        async def bounded() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise self._too_large()
            return message

        return bounded

    def _record(self, scope: Scope, status: int, elapsed: float) -> None:
        route = _route_template(scope)
        method = scope["method"]
        state = scope.get("state", {})
        self.metrics.requests.labels(method, route, str(status)).inc()
        self.metrics.latency.labels(method, route).observe(elapsed)
        code = state.get("error_code", str(status)) if status >= 400 else None
        if code is not None:
            self.metrics.errors.labels(route, code).inc()
        project_id = state.get(PROJECT_STATE)
        if project_id is not None:
            # Set once a recommendation request's key was verified (inference.deps).
            scope["app"].state.runtime.serving.record(
                project_id=project_id,
                slot_id=state.get(SLOT_STATE),
                model_id=state.get(MODEL_STATE),
                status=status,
                error_code=code,
                elapsed_seconds=elapsed,
            )
        if self.access_log:
            access_logger.info(
                "%s %s %d %.1fms",
                method,
                scope["path"],
                status,
                elapsed * 1000,
                extra={"status": status, "duration_ms": round(elapsed * 1000, 2)},
            )


class CorsMiddleware(CORSMiddleware):
    """Starlette's CORS, with a refused preflight answered 403 in the error envelope."""

    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code != 400:
            return response
        refused = bytes(response.body).decode().removeprefix("Disallowed CORS ")
        message = (
            f"This cross-origin request is not allowed ({refused}): the service accepts "
            "browser calls only from INFERENCE_CORS_ALLOWED_ORIGINS, with GET or POST "
            "and the X-API-Key, Content-Type and X-Correlation-ID headers."
        )
        headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
        return JSONResponse(
            error_body(PermissionDenied.code, message),
            status_code=PermissionDenied.status_code,
            headers=headers,
        )
