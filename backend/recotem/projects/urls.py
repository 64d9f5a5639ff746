from django.urls import URLPattern, URLResolver, path
from rest_framework.routers import DefaultRouter

from projects.views import (
    ItemMetaDataViewSet,
    ProjectSummaryView,
    ProjectTrafficView,
    ProjectViewSet,
    SampleProjectView,
    TrainingDataViewSet,
    UploadLimitsView,
)

router = DefaultRouter()
router.include_root_view = False
router.register("project", ProjectViewSet, basename="project")
router.register("training_data", TrainingDataViewSet, basename="training_data")
router.register("item_meta_data", ItemMetaDataViewSet, basename="item_meta_data")

urlpatterns: list[URLPattern | URLResolver] = [
    path("project_summary/<int:pk>/", ProjectSummaryView.as_view(), name="project-summary"),
    path("project_traffic/<int:pk>/", ProjectTrafficView.as_view(), name="project-traffic"),
    path("upload_limits/", UploadLimitsView.as_view(), name="upload-limits"),
    path("sample_project/", SampleProjectView.as_view(), name="sample-project"),
    *router.urls,
]
