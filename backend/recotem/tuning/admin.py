from django.contrib import admin

from tuning.models import EvaluationConfig, ParameterTuningJob, SplitConfig


@admin.register(SplitConfig)
class SplitConfigAdmin(admin.ModelAdmin):
    list_display = ("id", "name", "scheme", "heldout_ratio", "test_user_ratio", "created_by")
    list_filter = ("scheme",)


@admin.register(EvaluationConfig)
class EvaluationConfigAdmin(admin.ModelAdmin):
    list_display = ("id", "name", "cutoff", "target_metric", "created_by")


@admin.register(ParameterTuningJob)
class ParameterTuningJobAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "data",
        "status",
        "n_trials_finished",
        "n_trials",
        "best_algorithm",
        "best_score",
        "ins_datetime",
    )
    list_filter = ("status",)
    list_select_related = ("data__project",)
    # Workers own these; editing them by hand would desynchronise the running tasks.
    readonly_fields = (
        "status",
        "best_config",
        "best_score",
        "best_algorithm",
        "tuned_model",
        "n_trials_started",
        "n_trials_finished",
        "started_at",
        "finished_at",
        "heartbeat_at",
        "split_file",
        "task_ids",
    )
