from __future__ import annotations

from argparse import ArgumentParser
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts.services import api_key_create
from core.exceptions import ApplicationError
from projects.models import Project


class Command(BaseCommand):
    help = (
        "Issue an API key for a user's project and print it. The key is printed alone "
        "on standard output, so `KEY=$(manage.py create_api_key ...)` captures it."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--username", required=True)
        parser.add_argument("--project-id", required=True, type=int)
        parser.add_argument("--name", required=True)
        parser.add_argument(
            "--scopes",
            required=True,
            help="Comma-separated, any of read, write, predict (e.g. read,predict).",
        )
        parser.add_argument(
            "--expires-in-days",
            type=int,
            default=None,
            help="Days until the key expires; without it the key does not expire.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        username: str = options["username"]
        owner = get_user_model().objects.filter(username=username).first()
        if owner is None:
            raise CommandError(f"No user named {username!r}.")
        project = Project.objects.filter(pk=options["project_id"]).first()
        if project is None:
            raise CommandError(f"No project with id {options['project_id']}.")
        days: int | None = options["expires_in_days"]
        if days is not None and days < 1:
            raise CommandError("--expires-in-days must be at least 1.")
        scopes = [s.strip() for s in options["scopes"].split(",") if s.strip()]
        try:
            api_key, raw_key = api_key_create(
                owner=owner,
                project=project,
                name=options["name"],
                scopes=scopes,
                expires_at=timezone.now() + timedelta(days=days) if days else None,
            )
        except ApplicationError as error:
            raise CommandError(error.message) from error
        self.stderr.write(
            f"Created API key {api_key.name!r} (id {api_key.pk}) for project "
            f"{project.name!r} with scopes {', '.join(api_key.scopes)}. "
            "It cannot be shown again."
        )
        self.stdout.write(raw_key)
