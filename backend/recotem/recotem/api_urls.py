"""Routes of the management API, mounted at both /api/v1/ and /api/."""

from django.urls import include, path

urlpatterns = [
    path("", include("core.urls")),
    path("", include("accounts.urls")),
    path("", include("projects.urls")),
    path("", include("tuning.urls")),
    path("", include("training.urls")),
    path("", include("deployments.urls")),
    path("", include("retraining.urls")),
    path("", include("realtime.urls")),
]
