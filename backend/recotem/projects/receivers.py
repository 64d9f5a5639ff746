"""Reactions of the projects app to other apps' signals."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from core.models import JobStatus
from projects.sample import sample_model_deploy
from training.models import TrainedModel
from training.signals import trained_model_finished


@receiver(trained_model_finished)
def deploy_sample_model(sender: type[TrainedModel], *, model: TrainedModel, **kwargs: Any) -> None:
    if model.status == JobStatus.COMPLETED:
        sample_model_deploy(model=model)
