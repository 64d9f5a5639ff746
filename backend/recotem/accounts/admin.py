from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts.models import ApiKey
from accounts.services import api_key_delete, api_key_revoke


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    """Keys are issued through the API or ``create_api_key``, the only places the
    secret is ever shown. Revoking and deleting go through the services, which also
    tell the inference service to forget the key."""

    list_display = (
        "name",
        "key_prefix",
        "owner",
        "project",
        "scopes",
        "is_active",
        "expires_at",
        "last_used_at",
        "revoked_at",
    )
    list_filter = ("is_active",)
    search_fields = ("name", "key_prefix", "owner__username", "project__name")
    readonly_fields = (
        "owner",
        "project",
        "key_prefix",
        "hashed_key",
        "scopes",
        "is_active",
        "last_used_at",
        "revoked_at",
        "ins_datetime",
        "updated_at",
    )
    fields = ("name", "expires_at", *readonly_fields)
    actions = ("revoke",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def delete_model(self, request: HttpRequest, obj: ApiKey) -> None:
        api_key_delete(api_key=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        for api_key in queryset:
            api_key_delete(api_key=api_key)

    @admin.action(description="Revoke selected API keys")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        revoked = [api_key_revoke(api_key=api_key) for api_key in queryset]
        self.message_user(request, f"Revoked {len(revoked)} key(s).", messages.SUCCESS)


admin.site.unregister(get_user_model())


@admin.register(get_user_model())
class RecotemUserAdmin(UserAdmin):
    """Only a superuser changes or deletes a superuser, as in the API's ``users/``."""

    def _protects(self, request: HttpRequest, obj: Any) -> bool:
        return obj is not None and obj.is_superuser and not request.user.is_superuser

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not self._protects(request, obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not self._protects(request, obj) and super().has_delete_permission(request, obj)
