from rest_framework.routers import DefaultRouter

from deployments.views import ABTestViewSet, ConversionEventViewSet, DeploymentSlotViewSet

router = DefaultRouter()
router.register("deployment_slot", DeploymentSlotViewSet, basename="deployment_slot")
router.register("ab_test", ABTestViewSet, basename="ab_test")
router.register("conversion_event", ConversionEventViewSet, basename="conversion_event")

urlpatterns = router.urls
