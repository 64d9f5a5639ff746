from django.contrib import admin

from deployments.models import ABTest, ConversionEvent, DeploymentSlot, Impression


@admin.register(DeploymentSlot)
class DeploymentSlotAdmin(admin.ModelAdmin):
    list_display = ("id", "name", "project", "trained_model", "weight", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name", "project__name")
    raw_id_fields = ("project", "trained_model")


@admin.register(ABTest)
class ABTestAdmin(admin.ModelAdmin):
    list_display = ("id", "name", "project", "status", "control_slot", "variant_slot")
    list_filter = ("status",)
    search_fields = ("name", "project__name")
    raw_id_fields = ("project", "control_slot", "variant_slot", "winner_slot")


@admin.register(Impression)
class ImpressionAdmin(admin.ModelAdmin):
    list_display = ("id", "project", "deployment_slot", "user_id", "request_id", "timestamp")
    raw_id_fields = ("project", "deployment_slot")
    readonly_fields = ("request_id", "item_ids", "timestamp")


@admin.register(ConversionEvent)
class ConversionEventAdmin(admin.ModelAdmin):
    list_display = ("id", "project", "deployment_slot", "event_type", "user_id", "timestamp")
    list_filter = ("event_type",)
    raw_id_fields = ("project", "deployment_slot")
