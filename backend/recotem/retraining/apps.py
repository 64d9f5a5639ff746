from django.apps import AppConfig


class RetrainingConfig(AppConfig):
    name = "retraining"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Connects the receivers; they import models, which exist only once apps are ready.
        from retraining import receivers  # noqa: F401
