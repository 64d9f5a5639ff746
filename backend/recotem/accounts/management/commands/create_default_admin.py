from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.services import default_admin_create
from core.exceptions import ApplicationError, ValidationFailed


class Command(BaseCommand):
    help = (
        "Create the first superuser (DEFAULT_ADMIN_USERNAME / DEFAULT_ADMIN_PASSWORD) "
        "unless a superuser exists. Without a password one is generated and printed "
        "once. Existing accounts are never changed."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        username = settings.DEFAULT_ADMIN_USERNAME
        try:
            created = default_admin_create(
                username=username, password=settings.DEFAULT_ADMIN_PASSWORD
            )
        except ValidationFailed as error:
            # A weak configured password stops the bootstrap: no admin is better than
            # one with a guessable password.
            raise CommandError(error.message) from error
        except ApplicationError as error:
            self.stderr.write(self.style.WARNING(error.message))
            return
        if created is None:
            self.stdout.write("A superuser already exists; no account was changed.")
            return
        if created.generated_password is None:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Created superuser {username!r} with the password from DEFAULT_ADMIN_PASSWORD."
                )
            )
            return
        rule = "=" * 64
        self.stdout.write(
            self.style.WARNING(
                f"{rule}\n"
                f"Created superuser {username!r} with a generated password.\n"
                "It is shown only this once; store it or change it after signing in:\n\n"
                f"    {created.generated_password}\n\n"
                "Set DEFAULT_ADMIN_PASSWORD to choose the password instead.\n"
                f"{rule}"
            )
        )
