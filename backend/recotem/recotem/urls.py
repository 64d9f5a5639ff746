from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("recotem.api_urls")),
    path("api/", include("recotem.api_urls")),
]

handler400 = "core.views.bad_request"
