from __future__ import annotations

from typing import Any

from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from accounts.models import ApiKey
from recotem_common.api_keys import SCOPE_READ, SCOPE_WRITE, scope_refusal


class ApiKeyScopePermission(BasePermission):
    """Limits API-key requests to the key's scopes.

    A view states what a key needs with ``api_key_scope`` (a scope, or a mapping of
    action name to scope); by default reads need ``read`` and writes need ``write``.
    What a key's scopes grant is the rule both services share (``scope_refusal``).
    """

    def has_permission(self, request: Request, view: Any) -> bool:
        api_key = request.auth
        if not isinstance(api_key, ApiKey):
            return True
        refusal = scope_refusal(api_key.scopes, self._required_scope(request, view))
        if refusal is not None:
            self.message = refusal
            return False
        return True

    @staticmethod
    def _required_scope(request: Request, view: Any) -> str:
        declared = getattr(view, "api_key_scope", None)
        if isinstance(declared, dict):
            declared = declared.get(getattr(view, "action", None))
        if isinstance(declared, str):
            return declared
        return SCOPE_READ if request.method in SAFE_METHODS else SCOPE_WRITE


class DenyApiKey(BasePermission):
    """Account, password and user management are for people, never for API keys."""

    message = "API keys cannot be used here; sign in with a user account."

    def has_permission(self, request: Request, view: Any) -> bool:
        return not isinstance(request.auth, ApiKey)


class IsStaff(BasePermission):
    message = "Only staff users may manage users."

    def has_permission(self, request: Request, view: Any) -> bool:
        return bool(request.user and request.user.is_staff)
