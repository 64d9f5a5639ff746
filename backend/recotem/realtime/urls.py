from django.urls import URLPattern, URLResolver
from rest_framework.routers import DefaultRouter

from realtime.views import TaskLogViewSet

router = DefaultRouter()
router.include_root_view = False
router.register("task_log", TaskLogViewSet, basename="task_log")

urlpatterns: list[URLPattern | URLResolver] = [*router.urls]
