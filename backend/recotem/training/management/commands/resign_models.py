"""Re-sign every stored model artifact with the current signing key.

Run after putting a new key first in MODEL_SIGNING_KEYS (keep the old one in the list
until this has finished, so the old files still verify). Files already signed with the
current key are left untouched, so running it twice changes nothing.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from recotem_common.artifact import ArtifactError
from training.models import TrainedModel
from training.services import trained_model_resign


class Command(BaseCommand):
    help = "Re-sign stored model artifacts with the first of MODEL_SIGNING_KEYS."

    def handle(self, *args: Any, **options: Any) -> None:
        resigned = current = failed = 0
        for model in TrainedModel.objects.exclude(file="").exclude(file__isnull=True).iterator():
            try:
                changed = trained_model_resign(model=model)
            except (ArtifactError, OSError) as error:
                failed += 1
                self.stderr.write(f"model {model.pk} ({model.file.name}): {error}")
                continue
            if changed:
                resigned += 1
            else:
                current += 1
        self.stdout.write(
            f"Re-signed {resigned} model(s); {current} already current; {failed} failed."
        )
        if failed:
            raise SystemExit(1)
