from django.contrib import admin

from retraining.models import RetrainingRun, RetrainingSchedule


@admin.register(RetrainingSchedule)
class RetrainingScheduleAdmin(admin.ModelAdmin):
    list_display = ("id", "project", "is_enabled", "cron_expression", "next_run_at")
    list_filter = ("is_enabled",)
    raw_id_fields = (
        "project",
        "training_data",
        "model_configuration",
        "split_config",
        "evaluation_config",
        "deploy_slot",
    )
    readonly_fields = ("last_run_at", "last_run_status", "next_run_at", "periodic_task")


@admin.register(RetrainingRun)
class RetrainingRunAdmin(admin.ModelAdmin):
    list_display = ("id", "schedule", "status", "trigger", "started_at", "completed_at")
    list_filter = ("status", "trigger")
    raw_id_fields = ("schedule", "trained_model", "tuning_job")
