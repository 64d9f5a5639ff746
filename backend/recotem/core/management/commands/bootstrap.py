from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Prepare an installation before its services start: wait for the database, apply "
        "migrations, collect static files and create the first superuser. Safe to run at "
        "every start (each step leaves a prepared installation unchanged), but by one "
        "process at a time, as compose's one-shot setup service does."
    )
    # migrate runs the system checks once; the other steps need not repeat them.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--timeout", type=float, default=120.0, help="Seconds to wait for the database."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # One process for every step: each would otherwise import Django and the apps again.
        streams = {"stdout": self.stdout, "stderr": self.stderr}
        call_command("wait_db", timeout=options["timeout"], **streams)
        call_command("migrate", interactive=False, verbosity=options["verbosity"], **streams)
        call_command("collectstatic", interactive=False, verbosity=0, **streams)
        call_command("create_default_admin", **streams)
