from __future__ import annotations

import re
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import OperationalError, connection

from accounts.models import ApiKey
from tests.factories import ProjectFactory, UserFactory

User = get_user_model()


def _run(*args: Any, **options: Any) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


# --- create_default_admin -------------------------------------------------------------


def test_default_admin_gets_the_configured_password(db: None, settings: Any) -> None:
    settings.DEFAULT_ADMIN_USERNAME = "root"
    settings.DEFAULT_ADMIN_PASSWORD = "configured-admin-passphrase"

    out, _ = _run("create_default_admin")

    admin = User.objects.get(username="root")
    assert admin.is_superuser
    assert admin.is_staff
    assert admin.check_password("configured-admin-passphrase")
    assert "configured-admin-passphrase" not in out


@pytest.mark.parametrize("weak", ["admin", "12345678901", "password123"])
def test_a_weak_default_admin_password_stops_the_bootstrap(
    db: None, settings: Any, weak: str
) -> None:
    settings.DEFAULT_ADMIN_USERNAME = "admin"
    settings.DEFAULT_ADMIN_PASSWORD = weak

    with pytest.raises(CommandError, match="DEFAULT_ADMIN_PASSWORD is refused") as refused:
        _run("create_default_admin")

    assert "leave it empty" in str(refused.value)
    assert not User.objects.filter(username="admin").exists()


def test_default_admin_without_a_password_gets_a_generated_one_printed_once(
    db: None, settings: Any
) -> None:
    settings.DEFAULT_ADMIN_PASSWORD = ""

    out, _ = _run("create_default_admin")

    match = re.search(r"^    (\S{20,})$", out, flags=re.MULTILINE)
    assert match, out
    admin = User.objects.get(username=settings.DEFAULT_ADMIN_USERNAME)
    assert admin.check_password(match.group(1))
    assert "shown only this once" in out


def test_default_admin_is_idempotent_and_never_resets_the_admin(db: None, settings: Any) -> None:
    settings.DEFAULT_ADMIN_PASSWORD = ""
    _run("create_default_admin")
    password_hash = User.objects.get(is_superuser=True).password

    settings.DEFAULT_ADMIN_PASSWORD = "a-different-passphrase"
    second, _ = _run("create_default_admin")

    assert "already exists" in second
    assert User.objects.filter(is_superuser=True).count() == 1
    assert User.objects.get(is_superuser=True).password == password_hash


def test_default_admin_leaves_a_same_named_ordinary_user_alone(db: None, settings: Any) -> None:
    existing = UserFactory(username=settings.DEFAULT_ADMIN_USERNAME)
    settings.DEFAULT_ADMIN_PASSWORD = "configured-admin-passphrase"

    _, err = _run("create_default_admin")

    existing.refresh_from_db()
    assert not existing.is_superuser
    assert not existing.check_password("configured-admin-passphrase")
    assert "not a superuser" in err
    assert not User.objects.filter(is_superuser=True).exists()


# --- create_api_key -------------------------------------------------------------------


def test_create_api_key_prints_only_the_key(project: Any) -> None:
    out, err = _run(
        "create_api_key",
        "--username",
        project.owner.username,
        "--project-id",
        str(project.pk),
        "--name",
        "deploy",
        "--scopes",
        "read, predict",
        "--expires-in-days",
        "30",
    )

    raw_key = out.strip()
    api_key = ApiKey.objects.get()
    assert raw_key.startswith("rctm_")
    assert check_password(raw_key, api_key.hashed_key)
    assert api_key.scopes == ["read", "predict"]
    assert api_key.expires_at is not None
    assert "cannot be shown again" in err


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"--scopes": "read,admin"}, "allowed scopes are read, write, predict"),
        ({"--username": "nobody"}, "No user named 'nobody'"),
        ({"--project-id": "999999"}, "No project with id 999999"),
        ({"--expires-in-days": "0"}, "at least 1"),
    ],
)
def test_create_api_key_explains_bad_arguments(
    project: Any, overrides: dict[str, str], message: str
) -> None:
    options = {
        "--username": project.owner.username,
        "--project-id": str(project.pk),
        "--name": "deploy",
        "--scopes": "read",
        **overrides,
    }
    args = [part for pair in options.items() for part in pair]

    with pytest.raises(CommandError, match=message):
        _run("create_api_key", *args)
    assert not ApiKey.objects.exists()


def test_create_api_key_refuses_another_users_project(project: Any) -> None:
    stranger = UserFactory()
    foreign = ProjectFactory(owner=stranger)

    with pytest.raises(CommandError, match="owner's projects"):
        _run(
            "create_api_key",
            *("--username", project.owner.username, "--project-id", str(foreign.pk)),
            *("--name", "x", "--scopes", "read"),
        )


# --- wait_db --------------------------------------------------------------------------


def test_wait_db_returns_once_the_database_answers(db: None) -> None:
    out, _ = _run("wait_db", "--timeout", "5")

    assert "The database is available." in out


def test_wait_db_gives_up_after_the_timeout_with_a_clear_message(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse() -> None:
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "ensure_connection", refuse)

    with pytest.raises(CommandError, match=r"not reachable after 0\.2 s .*connection refused"):
        _run("wait_db", "--timeout", "0.2", "--interval", "0.05")


# --- bootstrap ------------------------------------------------------------------------


def test_bootstrap_prepares_an_installation_and_a_second_run_changes_nothing(
    db: None, settings: Any, tmp_path: Any
) -> None:
    settings.STATIC_ROOT = tmp_path / "static"
    settings.DEFAULT_ADMIN_USERNAME = "root"
    settings.DEFAULT_ADMIN_PASSWORD = "bootstrap-admin-passphrase"

    out, _ = _run("bootstrap", "--timeout", "5")

    assert "The database is available." in out
    assert (settings.STATIC_ROOT / "admin" / "css" / "base.css").is_file()
    admin = User.objects.get(username="root")
    assert admin.check_password("bootstrap-admin-passphrase")

    settings.DEFAULT_ADMIN_PASSWORD = "another-passphrase"
    again, _ = _run("bootstrap", "--timeout", "5")

    assert "No migrations to apply." in again
    assert "A superuser already exists; no account was changed." in again
    assert User.objects.get(username="root").password == admin.password
