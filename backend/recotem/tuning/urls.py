from django.urls import URLPattern, URLResolver
from rest_framework.routers import DefaultRouter

from tuning.views import EvaluationConfigViewSet, ParameterTuningJobViewSet, SplitConfigViewSet

router = DefaultRouter()
router.include_root_view = False
router.register("split_config", SplitConfigViewSet, basename="split_config")
router.register("evaluation_config", EvaluationConfigViewSet, basename="evaluation_config")
router.register("parameter_tuning_job", ParameterTuningJobViewSet, basename="parameter_tuning_job")

urlpatterns: list[URLPattern | URLResolver] = [*router.urls]
