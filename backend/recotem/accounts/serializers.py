from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from rest_framework import serializers

from accounts.models import ApiKey
from core.fields import OwnedPrimaryKeyRelatedField
from projects.models import Project

User = get_user_model()

USER_FIELDS = (
    "id",
    "username",
    "email",
    "first_name",
    "last_name",
    "is_staff",
    "is_active",
    "date_joined",
    "last_login",
)
USER_SERVER_FIELDS = ("id", "is_active", "date_joined", "last_login")


def _password_field() -> serializers.CharField:
    return serializers.CharField(
        write_only=True, trim_whitespace=False, style={"input_type": "password"}
    )


class UserDetailsSerializer(serializers.ModelSerializer):
    """A user as everyone sees it; people edit their own names and email only. ``pk``
    and ``is_superuser`` are there for clients written for the reference."""

    class Meta:
        model = User
        fields = ("pk", *USER_FIELDS, "is_superuser")
        read_only_fields = ("pk", *USER_SERVER_FIELDS, "is_staff", "is_superuser")


class UserCreateSerializer(serializers.ModelSerializer):
    password = _password_field()

    class Meta:
        model = User
        fields = ("username", "email", "password", "first_name", "last_name", "is_staff")


class UserUpdateSerializer(serializers.ModelSerializer):
    ELSEWHERE = {
        "password": "Passwords cannot be changed here; use users/<id>/reset_password/.",
        "is_active": "Use users/<id>/activate/ or users/<id>/deactivate/.",
    }

    class Meta:
        model = User
        fields = USER_FIELDS
        read_only_fields = USER_SERVER_FIELDS

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        misplaced = {
            field: [message]
            for field, message in self.ELSEWHERE.items()
            if field in self.initial_data
        }
        if misplaced:
            raise serializers.ValidationError(misplaced)
        return attrs


class PasswordResetSerializer(serializers.Serializer):
    new_password = _password_field()


class PasswordChangeSerializer(serializers.Serializer):
    """``users/change_password/``, as the reference took it."""

    old_password = _password_field()
    new_password = _password_field()


class PasswordChangeTwiceSerializer(serializers.Serializer):
    """``auth/password/change/``: the new password typed twice, as dj-rest-auth takes it."""

    old_password = _password_field()
    new_password1 = _password_field()
    new_password2 = _password_field()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["new_password1"] != attrs["new_password2"]:
            raise serializers.ValidationError(
                {"new_password2": ["The two new passwords differ; type the same one twice."]}
            )
        return {"old_password": attrs["old_password"], "new_password": attrs["new_password1"]}


class ApiKeySerializer(serializers.ModelSerializer):
    class Meta:
        model = ApiKey
        fields: tuple[str, ...] = (
            "id",
            "name",
            "project",
            "key_prefix",
            "scopes",
            "is_active",
            "expires_at",
            "last_used_at",
            "revoked_at",
            "ins_datetime",
        )
        read_only_fields = fields


class ApiKeyCreatedSerializer(ApiKeySerializer):
    key = serializers.SerializerMethodField(
        help_text="The full secret. It is shown in this response only."
    )

    class Meta(ApiKeySerializer.Meta):
        fields = (*ApiKeySerializer.Meta.fields, "key")
        read_only_fields = fields

    def get_key(self, api_key: ApiKey) -> str:
        return str(self.context["key"])


class ApiKeyCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=256)
    project = OwnedPrimaryKeyRelatedField(queryset=Project.objects.all())
    scopes = serializers.ListField(
        child=serializers.CharField(),
        help_text="Any of read, write, predict.",
    )
    expires_at = serializers.DateTimeField(required=False, allow_null=True)
