from __future__ import annotations

from datetime import timedelta

from recotem.settings.base import SESSION_COOKIE_SECURE
from recotem.settings.env import env

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# API keys are hashed with Django's PBKDF2-SHA256 so the inference service can verify them
# with passlib's django_pbkdf2_sha256; that hasher must stay first.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]

ACCESS_TOKEN_LIFETIME: int = env.int("ACCESS_TOKEN_LIFETIME", default=300)
REFRESH_TOKEN_LIFETIME: int = env.int("REFRESH_TOKEN_LIFETIME", default=7 * 24 * 3600)

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(seconds=ACCESS_TOKEN_LIFETIME),
    "REFRESH_TOKEN_LIFETIME": timedelta(seconds=REFRESH_TOKEN_LIFETIME),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "AUTH_HEADER_TYPES": ("Bearer",),
}

JWT_ACCESS_COOKIE = "recotem-access"
JWT_REFRESH_COOKIE = "recotem-refresh"

REST_AUTH = {
    "USE_JWT": True,
    "SESSION_LOGIN": False,
    "TOKEN_MODEL": None,
    "JWT_AUTH_COOKIE": JWT_ACCESS_COOKIE,
    "JWT_AUTH_REFRESH_COOKIE": JWT_REFRESH_COOKIE,
    "JWT_AUTH_REFRESH_COOKIE_PATH": "/",
    "JWT_AUTH_HTTPONLY": True,
    "JWT_AUTH_SECURE": SESSION_COOKIE_SECURE,
    "JWT_AUTH_SAMESITE": "Lax",
    # A request authenticated by the cookie must also carry the CSRF token, so another
    # site cannot make the browser write on the user's behalf.
    "JWT_AUTH_COOKIE_USE_CSRF": True,
    "JWT_AUTH_RETURN_EXPIRATION": True,
    "OLD_PASSWORD_FIELD_ENABLED": True,
    "LOGOUT_ON_PASSWORD_CHANGE": False,
    "USER_DETAILS_SERIALIZER": "accounts.serializers.UserDetailsSerializer",
}
