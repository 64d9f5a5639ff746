from __future__ import annotations

import time
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from core.exceptions import ApplicationError
from core.models import TERMINAL_JOB_STATUSES, JobStatus
from deployments.models import DeploymentSlot
from projects.sample import SLOT_NAME, example_request, sample_project_create
from projects.sample_data import TERMS
from tuning.models import ParameterTuningJob

POLL_SECONDS = 2.0


class Command(BaseCommand):
    help = (
        "Build the MovieLens 100K sample project for a user (`make demo`), wait until its "
        "tuned model serves in the production slot, and print its predict key (shown "
        "only now) with a ready-to-run request. Needs the platform's workers running."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--username", default=settings.DEFAULT_ADMIN_USERNAME)
        parser.add_argument(
            "--site", default="http://127.0.0.1:8000", help="Where the proxy serves Recotem."
        )
        parser.add_argument(
            "--wait", type=float, default=180.0, help="Seconds to wait for the model."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        owner = get_user_model().objects.filter(username=options["username"]).first()
        if owner is None:
            raise CommandError(f"No user named {options['username']!r}; pass --username.")
        self.stderr.write(TERMS)
        started = time.monotonic()
        try:
            sample = sample_project_create(owner=owner)
        except ApplicationError as error:
            raise CommandError(error.message) from error
        self.stderr.write(
            f"Project {sample.project.name!r} (id {sample.project.pk}): 100,000 ratings and "
            f"1,682 movies validated; tuning job {sample.tuning_job.pk} queued."
        )
        deadline = started + options["wait"]
        while not DeploymentSlot.objects.filter(project=sample.project, name=SLOT_NAME).exists():
            job = ParameterTuningJob.objects.get(pk=sample.tuning_job.pk)
            if job.status in TERMINAL_JOB_STATUSES and job.status != JobStatus.COMPLETED:
                raise CommandError(f"The tuning job ended {job.status}: {job.error_message}")
            if time.monotonic() > deadline:
                raise CommandError(
                    f"No model in slot {SLOT_NAME!r} after {options['wait']:.0f} s (tuning job "
                    f"{job.pk} is {job.status}); are the Celery workers running (`make run`)?"
                )
            time.sleep(POLL_SECONDS)
        self.stderr.write(
            f"Model deployed to slot {SLOT_NAME!r} in {time.monotonic() - started:.0f} s. "
            f"Predict key {sample.api_key.name!r}, shown only now:"
        )
        self.stdout.write(sample.raw_key)
        self.stderr.write("Recommendations with titles:")
        self.stdout.write(
            example_request(
                site=options["site"], project_id=sample.project.pk, raw_key=sample.raw_key
            )
        )
