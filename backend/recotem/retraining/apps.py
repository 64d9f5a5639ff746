from django.apps import AppConfig


class RetrainingConfig(AppConfig):
    name = "retraining"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from retraining import signals  # noqa: F401
