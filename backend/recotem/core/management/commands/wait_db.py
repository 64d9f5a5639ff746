from __future__ import annotations

import time
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, OperationalError, connections


class Command(BaseCommand):
    help = "Wait until the database accepts connections (for container start-up)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--timeout", type=float, default=60.0, help="Seconds to wait (default 60)."
        )
        parser.add_argument("--interval", type=float, default=1.0, help="Seconds between attempts.")
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args: Any, **options: Any) -> None:
        connection = connections[options["database"]]
        deadline = time.monotonic() + options["timeout"]
        attempts = 0
        while True:
            attempts += 1
            try:
                connection.ensure_connection()
            except OperationalError as error:
                # A failed attempt can leave a half-open connection behind.
                connection.close()
                if time.monotonic() >= deadline:
                    raise CommandError(
                        f"The database was not reachable after {options['timeout']:g} s "
                        f"({attempts} attempts). Last error: {error}".strip()
                    ) from error
                self.stderr.write(f"Database unavailable ({error}); retrying...")
                time.sleep(options["interval"])
            else:
                self.stdout.write(self.style.SUCCESS("The database is available."))
                return
