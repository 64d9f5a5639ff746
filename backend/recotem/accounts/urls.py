from django.urls import URLPattern, URLResolver, include, path
from rest_framework.routers import SimpleRouter

from accounts import views

router = SimpleRouter()
router.register("users", views.UserViewSet, basename="users")
router.register("api_keys", views.ApiKeyViewSet, basename="api_keys")

auth_urlpatterns = [
    path("login/", views.LoginView.as_view(), name="auth-login"),
    path("logout/", views.LogoutView.as_view(), name="auth-logout"),
    path("logout/everywhere/", views.LogoutEverywhereView.as_view(), name="auth-logout-all"),
    path("token/refresh/", views.TokenRefreshView.as_view(), name="auth-token-refresh"),
    path("token/verify/", views.TokenVerifyView.as_view(), name="auth-token-verify"),
    path("user/", views.UserDetailsView.as_view(), name="auth-user"),
    path(
        "password/change/",
        views.PasswordChangeView.as_view(),
        name="auth-password-change",
    ),
    path("csrf/", views.CsrfView.as_view(), name="auth-csrf"),
    path("ws-ticket/", views.WebSocketTicketView.as_view(), name="auth-ws-ticket"),
]

urlpatterns: list[URLPattern | URLResolver] = [
    path("auth/", include(auth_urlpatterns)),
    *router.urls,
]
