from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import ApiKey
from accounts.selectors import api_keys_usable_by, refresh_tokens_outstanding
from core.events import publish_model_event_on_commit
from core.exceptions import (
    AuthenticationFailed,
    Conflict,
    Forbidden,
    ValidationFailed,
    field_error,
)
from core.services import model_update
from projects.models import Project
from recotem_common.api_keys import ALL_SCOPES, generate_api_key, key_digest, lookup_prefix
from recotem_common.events import ApiKeyRevoked

LAST_USED_RESOLUTION = timedelta(minutes=1)
GENERATED_PASSWORD_BYTES = 18

USER_EDITABLE_FIELDS = ("username", "email", "first_name", "last_name", "is_staff")


# --- API keys -------------------------------------------------------------------------


def api_key_scopes_validate(scopes: Sequence[str]) -> list[str]:
    """The scopes as stored: known, non-empty, without duplicates, in canonical order."""
    allowed = ", ".join(ALL_SCOPES)
    unknown = [scope for scope in scopes if scope not in ALL_SCOPES]
    if unknown:
        names = ", ".join(repr(scope) for scope in unknown)
        raise field_error("scopes", f"Unknown scope {names}; allowed scopes are {allowed}.")
    if not scopes:
        raise field_error("scopes", f"Give at least one scope: {allowed}.")
    return [scope for scope in ALL_SCOPES if scope in scopes]


def _api_key_revoked_event(api_key: ApiKey) -> ApiKeyRevoked:
    return ApiKeyRevoked(api_key_id=api_key.pk, key_prefix=api_key.key_prefix)


@transaction.atomic
def api_key_create(
    *,
    owner: Any,
    project: Project,
    name: str,
    scopes: Sequence[str],
    expires_at: datetime | None = None,
) -> tuple[ApiKey, str]:
    """Issue a key; the returned secret is never stored and cannot be shown again."""
    name = name.strip()
    if not name:
        raise field_error("name", "Give the API key a name.")
    max_name_length = ApiKey._meta.get_field("name").max_length or 0
    if len(name) > max_name_length:
        message = f"The name is longer than {max_name_length} characters."
        raise field_error("name", message)
    # Staff may see every project, but a key is bound to its owner's own project so
    # that it cannot outlive the owner's access to someone else's data.
    if project.owner_id != owner.pk:
        raise field_error("project", "An API key can only be bound to one of its owner's projects.")
    stored_scopes = api_key_scopes_validate(scopes)
    if expires_at is not None and expires_at <= timezone.now():
        raise field_error("expires_at", "The expiry date must be in the future.")
    if ApiKey.objects.filter(project=project, name=name).exists():
        message = f"This project already has an API key named {name!r}."
        raise field_error("name", message)

    raw_key = generate_api_key()
    prefix = lookup_prefix(raw_key)
    assert prefix is not None
    api_key = ApiKey.objects.create(
        owner=owner,
        project=project,
        name=name,
        key_prefix=prefix,
        hashed_key=make_password(raw_key),
        lookup_digest=key_digest(raw_key),
        scopes=stored_scopes,
        expires_at=expires_at,
    )
    return api_key, raw_key


@transaction.atomic
def api_key_revoke(*, api_key: ApiKey) -> ApiKey:
    """Revoke a key for good; revoking it again changes nothing."""
    if api_key.revoked_at is not None:
        return api_key
    api_key.is_active = False
    api_key.revoked_at = timezone.now()
    api_key.save(update_fields=["is_active", "revoked_at", "updated_at"])
    publish_model_event_on_commit(_api_key_revoked_event(api_key))
    return api_key


@transaction.atomic
def api_key_delete(*, api_key: ApiKey) -> None:
    event = _api_key_revoked_event(api_key)
    api_key.delete()
    publish_model_event_on_commit(event)


def api_key_touch(*, api_key: ApiKey) -> None:
    """Record use, at most once a minute so busy keys do not write on every request."""
    now = timezone.now()
    if api_key.last_used_at and now - api_key.last_used_at < LAST_USED_RESOLUTION:
        return
    ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
    api_key.last_used_at = now


def api_key_digest_store(*, api_key: ApiKey, lookup_digest: str) -> None:
    """Store the digest of a key issued without one, once PBKDF2 verified it, so later
    verifications in both services skip PBKDF2."""
    ApiKey.objects.filter(pk=api_key.pk, lookup_digest="").update(lookup_digest=lookup_digest)
    api_key.lookup_digest = lookup_digest


# --- Users ----------------------------------------------------------------------------


def _password_validate(password: str, *, user: Any, field: str) -> None:
    try:
        password_validation.validate_password(password, user=user)
    except DjangoValidationError as error:
        raise ValidationFailed(
            " ".join(error.messages), fields={field: list(error.messages)}
        ) from error


def refresh_token_blacklist(*, raw_token: str) -> None:
    """End the session a refresh token belongs to (logout)."""
    try:
        RefreshToken(raw_token).blacklist()  # type: ignore[arg-type]
    except TokenError as error:
        raise AuthenticationFailed(f"The refresh token cannot be used: {error}.") from error


def _token_id(raw_token: str | None) -> str | None:
    if not raw_token:
        return None
    try:
        return str(RefreshToken(raw_token)["jti"])  # type: ignore[arg-type]
    except (TokenError, KeyError):
        return None


def refresh_tokens_blacklist(*, user: Any, keep_raw_token: str | None = None) -> int:
    """End every session of ``user`` (but the one ``keep_raw_token`` refreshes, if it
    is theirs and still valid): their refresh tokens can no longer be used."""
    outstanding = refresh_tokens_outstanding(user=user)
    kept = _token_id(keep_raw_token)
    if kept is not None:
        outstanding = outstanding.exclude(jti=kept)
    tokens = list(outstanding)
    BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token=token) for token in tokens], ignore_conflicts=True
    )
    return len(tokens)


@transaction.atomic
def user_signed_in(*, user: Any) -> None:
    """Record a sign-in: tokens are issued without a Django session, whose login would."""
    user.last_login = timezone.now()
    user.save(update_fields=["last_login"])


def user_create(
    *,
    username: str,
    password: str,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    is_staff: bool = False,
) -> Any:
    user_model = get_user_model()
    user = user_model(
        username=username,
        email=email,
        first_name=first_name,
        last_name=last_name,
        is_staff=is_staff,
    )
    _password_validate(password, user=user, field="password")
    user.set_password(password)
    user.save()
    return user


def _require_may_manage(*, user: Any, acting_user: Any) -> None:
    """Staff manage accounts, but only a superuser acts on a superuser: otherwise a
    staff member could take over a superuser's account (and the admin) by resetting
    its password."""
    if user.is_superuser and not acting_user.is_superuser:
        raise Forbidden(
            f"'{user.username}' is a superuser; only a superuser can change, deactivate "
            "or reset the password of a superuser."
        )


@transaction.atomic
def user_update(*, user: Any, acting_user: Any, data: dict[str, Any]) -> Any:
    _require_may_manage(user=user, acting_user=acting_user)
    # Activation and passwords have their own services, which end sessions and
    # notify the inference service; a plain update must not bypass them.
    unknown = sorted(set(data).difference(USER_EDITABLE_FIELDS))
    if unknown:
        raise ValidationFailed(f"These fields cannot be changed: {', '.join(unknown)}.")
    if user.pk == acting_user.pk and data.get("is_staff") is False:
        raise field_error("is_staff", "You cannot remove your own staff status.")
    model_update(instance=user, fields=USER_EDITABLE_FIELDS, data=data)
    return user


@transaction.atomic
def user_deactivate(*, user: Any, acting_user: Any) -> Any:
    """Disable an account: its sessions end and its API keys stop working at once."""
    _require_may_manage(user=user, acting_user=acting_user)
    if user.pk == acting_user.pk:
        raise ValidationFailed("You cannot deactivate your own account.")
    if not user.is_active:
        return user
    user.is_active = False
    user.save(update_fields=["is_active"])
    refresh_tokens_blacklist(user=user)
    # Authentication already refuses keys of inactive owners; the events tell the
    # inference service to drop its cached verifications too.
    for api_key in api_keys_usable_by(user=user):
        publish_model_event_on_commit(_api_key_revoked_event(api_key))
    return user


def user_activate(*, user: Any, acting_user: Any) -> Any:
    _require_may_manage(user=user, acting_user=acting_user)
    if not user.is_active:
        user.is_active = True
        user.save(update_fields=["is_active"])
    return user


@transaction.atomic
def user_change_password(
    *, user: Any, old_password: str, new_password: str, keep_raw_token: str | None = None
) -> Any:
    """A person changes their own password; knowing the current one proves it is them.
    Every other session ends (the one ``keep_raw_token`` refreshes stays). Both
    ``auth/password/change/`` and the reference's ``users/change_password/`` come here, so
    the rules are the same wherever a client sends the change."""
    if not user.check_password(old_password):
        raise field_error("old_password", "Your current password is incorrect.")
    _password_validate(new_password, user=user, field="new_password")
    user.set_password(new_password)
    user.save(update_fields=["password"])
    refresh_tokens_blacklist(user=user, keep_raw_token=keep_raw_token)
    return user


@transaction.atomic
def user_reset_password(*, user: Any, acting_user: Any, new_password: str) -> Any:
    """Set a password chosen by staff; the user's existing sessions end."""
    _require_may_manage(user=user, acting_user=acting_user)
    _password_validate(new_password, user=user, field="new_password")
    user.set_password(new_password)
    user.save(update_fields=["password"])
    refresh_tokens_blacklist(user=user)
    return user


@dataclass(frozen=True)
class DefaultAdmin:
    user: Any
    generated_password: str | None


def default_admin_create(*, username: str, password: str) -> DefaultAdmin | None:
    """Create the first superuser, or return None when a superuser already exists.

    An existing account is never modified. Without ``password`` a strong one is
    generated and returned, so the caller can show it once.
    """
    user_model = get_user_model()
    if user_model.objects.filter(is_superuser=True).exists():
        return None
    if user_model.objects.filter(username=username).exists():
        raise Conflict(
            f"A user named {username!r} exists but is not a superuser; it was left "
            "unchanged. Promote it with `manage.py shell` or choose another "
            "DEFAULT_ADMIN_USERNAME."
        )
    if password:
        try:
            _password_validate(
                password, user=user_model(username=username), field="DEFAULT_ADMIN_PASSWORD"
            )
        except ValidationFailed as error:
            raise ValidationFailed(
                f"DEFAULT_ADMIN_PASSWORD is refused by the password rules: {error.message} "
                "Choose a stronger one, or leave it empty to have one generated.",
                fields=error.fields,
            ) from error
    generated = None if password else secrets.token_urlsafe(GENERATED_PASSWORD_BYTES)
    try:
        with transaction.atomic():
            user = user_model.objects.create_superuser(
                username=username, email="", password=password or generated
            )
    except IntegrityError:
        # Another process starting at the same moment created it first.
        return None
    return DefaultAdmin(user=user, generated_password=generated)
