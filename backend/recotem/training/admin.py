from django.contrib import admin

from training.models import ModelConfiguration, TrainedModel


@admin.register(ModelConfiguration)
class ModelConfigurationAdmin(admin.ModelAdmin):
    list_display = ("id", "name", "project", "recommender_class_name", "ins_datetime")
    list_filter = ("recommender_class_name",)
    list_select_related = ("project",)


@admin.register(TrainedModel)
class TrainedModelAdmin(admin.ModelAdmin):
    list_display = ("id", "version_tag", "configuration", "status", "filesize", "finished_at")
    list_filter = ("status",)
    list_select_related = ("configuration",)
    readonly_fields = (
        "file",
        "filesize",
        "status",
        "error_message",
        "training_time",
        "metrics_json",
        "irspack_version",
        "started_at",
        "finished_at",
        "task_id",
    )
