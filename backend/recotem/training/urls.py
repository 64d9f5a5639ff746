from django.urls import URLPattern, URLResolver
from rest_framework.routers import DefaultRouter

from training.views import ModelConfigurationViewSet, TrainedModelViewSet

router = DefaultRouter()
router.include_root_view = False
router.register("model_configuration", ModelConfigurationViewSet, basename="model_configuration")
router.register("trained_model", TrainedModelViewSet, basename="trained_model")

urlpatterns: list[URLPattern | URLResolver] = [*router.urls]
