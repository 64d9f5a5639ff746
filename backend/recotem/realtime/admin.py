from django.contrib import admin

from realtime.models import TaskLog


@admin.register(TaskLog)
class TaskLogAdmin(admin.ModelAdmin):
    list_display = ("id", "ins_datetime", "level", "tuning_job", "trained_model", "contents")
    list_filter = ("level",)
    search_fields = ("contents", "task_id")
