"""Which WebSocket connections must pass the Origin check.

The check stops another site from opening a socket with the browser's cookies. Browsers
always send ``Origin`` on a WebSocket handshake, so a connection without one comes from a
script. Such a connection is accepted when it authenticates with ``?ticket=`` or
``?token=``; its cookies are dropped, so that credential is all it can authenticate with.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from channels.security.websocket import AllowedHostsOriginValidator


def _is_script_with_token(scope: dict[str, Any]) -> bool:
    headers = dict(scope.get("headers", []))
    if b"origin" in headers:
        return False
    query = parse_qs(scope.get("query_string", b"").decode("latin1"))
    return any(query.get(name, [""])[0] for name in ("ticket", "token"))


class OriginCheckUnlessScript:
    """``AllowedHostsOriginValidator`` for everything but token-authenticated scripts."""

    def __init__(self, application: Any) -> None:
        self.application = application
        self.checked = AllowedHostsOriginValidator(application)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if scope.get("type") == "websocket" and _is_script_with_token(scope):
            headers = [(name, value) for name, value in scope["headers"] if name != b"cookie"]
            return await self.application({**scope, "headers": headers}, receive, send)
        return await self.checked(scope, receive, send)
