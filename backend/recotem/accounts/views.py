"""Sign-in, the signed-in user's account, user management and API keys.

None of these accept an API key: a key acts for scripts on one project and must never
manage accounts or mint more keys.
"""

from __future__ import annotations

import time
from typing import Any, cast

from dj_rest_auth import views as rest_auth_views
from dj_rest_auth.jwt_auth import get_refresh_view, unset_jwt_cookies
from django.conf import settings
from django.contrib import admin
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import ensure_csrf_cookie
from drf_spectacular.utils import extend_schema, extend_schema_view, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.filters import OrderingFilter, SearchFilter
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt import views as jwt_views
from rest_framework_simplejwt.exceptions import AuthenticationFailed as JwtAuthenticationFailed
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import Token

from accounts import selectors, services
from accounts.authentication import ApiKeyAuthentication
from accounts.models import ApiKey
from accounts.permissions import DenyApiKey, IsStaff
from accounts.serializers import (
    ApiKeyCreatedSerializer,
    ApiKeyCreateSerializer,
    ApiKeySerializer,
    PasswordChangeSerializer,
    PasswordChangeTwiceSerializer,
    PasswordResetSerializer,
    UserCreateSerializer,
    UserDetailsSerializer,
    UserUpdateSerializer,
)
from accounts.throttling import LOGIN_SCOPE, LOGIN_THROTTLES, LoginRateThrottle, login_wait
from core.exceptions import ValidationFailed
from core.filters import FilterBackend
from core.ownership import Requester
from realtime.services import WS_TICKET_SECONDS, ws_ticket_issue
from recotem_common import errors as codes
from recotem_common.errors import error_body

DetailSerializer = inline_serializer("Detail", {"detail": serializers.CharField()})
PASSWORD_CHANGED_MESSAGE = "The new password has been saved."  # noqa: S105 (a message)
# What dj-rest-auth answers (JWT_AUTH_RETURN_EXPIRATION); the tokens also travel as cookies.
LoginResponseSerializer = inline_serializer(
    "LoginResponse",
    {
        "access": serializers.CharField(),
        "refresh": serializers.CharField(help_text="Empty: the token is in its httpOnly cookie."),
        "user": UserDetailsSerializer(),
        "access_expiration": serializers.DateTimeField(),
        "refresh_expiration": serializers.DateTimeField(),
    },
)
TokenRefreshedSerializer = inline_serializer(
    "TokenRefreshed",
    {"access": serializers.CharField(), "access_expiration": serializers.DateTimeField()},
)

# --- auth/ ----------------------------------------------------------------------------
# Sign-in, sign-out and refresh authenticate nothing but an API key, which they refuse:
# a stale access cookie must not stand between a person and signing in or out.


@extend_schema_view(post=extend_schema(responses=LoginResponseSerializer))
class LoginView(rest_auth_views.LoginView):
    authentication_classes = (ApiKeyAuthentication,)
    permission_classes = (DenyApiKey,)
    throttle_classes = LOGIN_THROTTLES
    throttle_scope = LOGIN_SCOPE

    def login(self) -> None:
        super().login()
        services.user_signed_in(user=self.user)


def _request_refresh_token(request: Request) -> str | None:
    """The refresh token the request carries: the SPA's cookie, or a script's field."""
    body = request.data if isinstance(request.data, dict) else {}
    raw_token = body.get("refresh") or request.COOKIES.get(settings.JWT_REFRESH_COOKIE)
    return str(raw_token) if raw_token else None


class LogoutView(APIView):
    """Blacklist the refresh token (from the body or the cookie) and clear the cookies."""

    authentication_classes = (ApiKeyAuthentication,)
    permission_classes = (DenyApiKey,)

    @extend_schema(
        request=inline_serializer(
            "LogoutRequest", {"refresh": serializers.CharField(required=False)}
        ),
        responses=DetailSerializer,
    )
    def post(self, request: Request) -> Response:
        raw_token = _request_refresh_token(request)
        if not raw_token:
            raise ValidationFailed(
                "No refresh token: send it in the 'refresh' field or the "
                f"{settings.JWT_REFRESH_COOKIE} cookie."
            )
        services.refresh_token_blacklist(raw_token=raw_token)
        return Response({"detail": "Signed out."})

    def finalize_response(
        self, request: Request, response: Response, *args: Any, **kwargs: Any
    ) -> Response:
        # Whatever happened to the token, the browser should forget it.
        unset_jwt_cookies(response)
        return super().finalize_response(request, response, *args, **kwargs)


class TokenRefreshView(get_refresh_view()):  # type: ignore[misc]
    """Exchange the refresh token for a new pair; the old refresh token is blacklisted."""

    authentication_classes = (ApiKeyAuthentication,)
    permission_classes = (DenyApiKey,)

    @extend_schema(responses=TokenRefreshedSerializer)
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        try:
            serializer.is_valid(raise_exception=True)
        except (TokenError, JwtAuthenticationFailed) as error:
            raise AuthenticationFailed(f"Refresh token refused: {_reason(error)}.") from error
        except ObjectDoesNotExist as error:
            raise AuthenticationFailed(
                "Refresh token refused: its user no longer exists."
            ) from error
        return Response(serializer.validated_data, status=status.HTTP_200_OK)


def _reason(error: Exception) -> str:
    detail = getattr(error, "detail", None)
    if isinstance(detail, dict):
        return str(detail.get("detail", "")).rstrip(".")
    return str(error).rstrip(".")


class UserDetailsView(rest_auth_views.UserDetailsView):
    permission_classes = (IsAuthenticated, DenyApiKey)


def _own_password_changed(
    request: Request, serializer_class: type[serializers.Serializer[Any]]
) -> Response:
    """Both forms of changing one's own password, with the same rules and answer."""
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    services.user_change_password(
        user=request.user,
        keep_raw_token=_request_refresh_token(request),
        **serializer.validated_data,
    )
    return Response({"detail": PASSWORD_CHANGED_MESSAGE})


class PasswordChangeView(APIView):
    """The signed-in person's own password (``users/change_password/`` is the same); every
    other session of the account ends with it."""

    permission_classes = (IsAuthenticated, DenyApiKey)
    # The old password makes this a password oracle; limit guesses like sign-in.
    throttle_classes = (LoginRateThrottle,)
    throttle_scope = LOGIN_SCOPE

    @extend_schema(request=PasswordChangeTwiceSerializer, responses=DetailSerializer)
    def post(self, request: Request) -> Response:
        return _own_password_changed(request, PasswordChangeTwiceSerializer)


class TokenVerifyView(jwt_views.TokenVerifyView):
    """The reference's ``auth/token/verify/``: 200 while a token is valid, else 401."""

    # simplejwt types these as empty tuples; an API key is refused here as everywhere
    # in auth/.
    authentication_classes = (ApiKeyAuthentication,)  # type: ignore[assignment]
    permission_classes = (DenyApiKey,)  # type: ignore[assignment]


class WebSocketTicketView(APIView):
    """A single-use ticket for ``/ws/...?ticket=``, valid for ``expires_in`` seconds:
    scripts connect with it instead of putting their access token in the URL."""

    permission_classes = (IsAuthenticated, DenyApiKey)

    @extend_schema(
        request=None,
        responses=inline_serializer(
            "WebSocketTicket",
            {"ticket": serializers.CharField(), "expires_in": serializers.IntegerField()},
        ),
    )
    def post(self, request: Request) -> Response:
        token = request.auth
        session_expires_at = (
            float(token["exp"])
            if isinstance(token, Token)
            else time.time() + settings.ACCESS_TOKEN_LIFETIME
        )
        ticket = ws_ticket_issue(
            user_id=cast(int, request.user.pk), session_expires_at=session_expires_at
        )
        return Response({"ticket": ticket, "expires_in": WS_TICKET_SECONDS})


class LogoutEverywhereView(APIView):
    """Sign out of every session of the account, this one included."""

    permission_classes = (IsAuthenticated, DenyApiKey)

    @extend_schema(request=None, responses=DetailSerializer)
    def post(self, request: Request) -> Response:
        ended = services.refresh_tokens_blacklist(user=request.user)
        return Response({"detail": f"Signed out of {ended} sessions."})

    def finalize_response(
        self, request: Request, response: Response, *args: Any, **kwargs: Any
    ) -> Response:
        if response.status_code == status.HTTP_200_OK:
            unset_jwt_cookies(response)
        return super().finalize_response(request, response, *args, **kwargs)


def admin_login(request: HttpRequest) -> HttpResponse:
    """The admin's sign-in page, with the API's sign-in limits (per address and per
    account, counted together with ``auth/login/``)."""
    if request.method == "POST":
        wait = login_wait(request)
        if wait is not None:
            seconds = int(wait) + 1
            body = error_body(
                codes.THROTTLED, f"Too many sign-in attempts. Try again in {seconds} seconds."
            )
            return JsonResponse(body, status=429, headers={"Retry-After": str(seconds)})
    return admin.site.login(request)


class CsrfView(APIView):
    """Set the CSRF cookie the SPA echoes in X-CSRFToken on cookie-authenticated writes."""

    authentication_classes = ()
    permission_classes = (AllowAny,)

    @extend_schema(responses=inline_serializer("Csrf", {"csrf_token": serializers.CharField()}))
    @method_decorator(ensure_csrf_cookie)
    def get(self, request: Request) -> Response:
        return Response({"csrf_token": get_token(request._request)})


# --- users/ ---------------------------------------------------------------------------


class UserViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """User management, for staff."""

    permission_classes = (IsAuthenticated, DenyApiKey, IsStaff)
    serializer_class = UserDetailsSerializer
    filter_backends = (FilterBackend, SearchFilter, OrderingFilter)
    filterset_fields = ("is_active", "is_staff")
    search_fields = ("username", "email")
    ordering_fields = ("id", "username", "email", "date_joined", "last_login")
    ordering = ("id",)
    # Set by change_password, the one action that limits guesses like sign-in.
    throttle_scope: str | None = None

    def get_queryset(self) -> QuerySet[Any]:
        return selectors.user_list()

    @extend_schema(request=UserCreateSerializer, responses={201: UserDetailsSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = UserCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.user_create(**serializer.validated_data)
        return Response(UserDetailsSerializer(user).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=UserUpdateSerializer, responses=UserDetailsSerializer)
    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        user = self.get_object()
        serializer = UserUpdateSerializer(
            user, data=request.data, partial=kwargs.get("partial", False)
        )
        serializer.is_valid(raise_exception=True)
        user = services.user_update(
            user=user, acting_user=request.user, data=serializer.validated_data
        )
        return Response(UserDetailsSerializer(user).data)

    @extend_schema(request=None, responses=UserDetailsSerializer)
    @action(detail=True, methods=["post"])
    def deactivate(self, request: Request, pk: str | None = None) -> Response:
        user = services.user_deactivate(user=self.get_object(), acting_user=request.user)
        return Response(UserDetailsSerializer(user).data)

    @extend_schema(request=None, responses=UserDetailsSerializer)
    @action(detail=True, methods=["post"])
    def activate(self, request: Request, pk: str | None = None) -> Response:
        user = services.user_activate(user=self.get_object(), acting_user=request.user)
        return Response(UserDetailsSerializer(user).data)

    @extend_schema(request=PasswordChangeSerializer, responses=DetailSerializer)
    @action(
        detail=False,
        methods=["post"],
        permission_classes=(IsAuthenticated, DenyApiKey),
        throttle_classes=(LoginRateThrottle,),
        throttle_scope=LOGIN_SCOPE,
    )
    def change_password(self, request: Request) -> Response:
        """The signed-in person's own password, as the reference took it; staff or not."""
        return _own_password_changed(request, PasswordChangeSerializer)

    @extend_schema(request=PasswordResetSerializer, responses=DetailSerializer)
    @action(detail=True, methods=["post"])
    def reset_password(self, request: Request, pk: str | None = None) -> Response:
        user = self.get_object()
        serializer = PasswordResetSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.user_reset_password(
            user=user,
            acting_user=request.user,
            new_password=serializer.validated_data["new_password"],
        )
        return Response({"detail": "The password has been reset."})


# --- api_keys/ ------------------------------------------------------------------------


class ApiKeyViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """API keys of the requester's projects (staff see all); the secret is shown once."""

    permission_classes = (IsAuthenticated, DenyApiKey)
    serializer_class = ApiKeySerializer
    filterset_fields = ("project", "is_active")
    ordering_fields = ("id", "name", "ins_datetime", "expires_at", "last_used_at")

    def get_queryset(self) -> QuerySet[ApiKey]:
        return selectors.api_key_list(requester=Requester.of(self.request))

    @extend_schema(request=ApiKeyCreateSerializer, responses={201: ApiKeyCreatedSerializer})
    def create(self, request: Request) -> Response:
        serializer = ApiKeyCreateSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        api_key, raw_key = services.api_key_create(owner=request.user, **serializer.validated_data)
        body = ApiKeyCreatedSerializer(api_key, context={"key": raw_key}).data
        response = Response(body, status=status.HTTP_201_CREATED)
        response["Cache-Control"] = "no-store"
        return response

    def perform_destroy(self, instance: ApiKey) -> None:
        services.api_key_delete(api_key=instance)

    @extend_schema(request=None, responses=ApiKeySerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, pk: str | None = None) -> Response:
        api_key = services.api_key_revoke(api_key=self.get_object())
        return Response(ApiKeySerializer(api_key).data)
