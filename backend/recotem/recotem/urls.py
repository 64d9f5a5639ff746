from django.contrib import admin
from django.urls import include, path

from accounts.views import admin_login

urlpatterns = [
    # Before the admin's own URLs, which would otherwise answer this path unthrottled.
    path("admin/login/", admin_login, name="admin-login"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("recotem.api_urls")),
    path("api/", include("recotem.api_urls")),
]

handler400 = "core.views.bad_request"
handler404 = "core.views.not_found"
