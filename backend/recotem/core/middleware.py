from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from recotem_common.correlation import CORRELATION_HEADER, new_correlation_id
from recotem_common.logs import correlation_id


class CorrelationIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        value = new_correlation_id(request.headers.get(CORRELATION_HEADER))
        token = correlation_id.set(value)
        try:
            response = self.get_response(request)
        finally:
            correlation_id.reset(token)
        response[CORRELATION_HEADER] = value
        return response
