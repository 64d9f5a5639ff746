"""The database location: one URL, or PostgreSQL parts a secret store can provide."""

from __future__ import annotations

import pytest

from recotem_common.database_urls import DatabaseSettingsError, database_url


def test_an_explicit_url_wins_and_nothing_means_sqlite() -> None:
    assert database_url({"DATABASE_URL": "postgres://u:p@h:1/d"}) == "postgres://u:p@h:1/d"
    assert database_url({"POSTGRES_PASSWORD": "only-for-the-db-image"}) == ""


def test_the_parts_build_a_url_whatever_characters_the_password_holds() -> None:
    url = database_url(
        {"POSTGRES_HOST": "db", "POSTGRES_PASSWORD": "p@ss:/w?rd#%", "POSTGRES_USER": "me"}
    )
    assert url == "postgres://me:p%40ss%3A%2Fw%3Frd%23%25@db:5432/recotem"


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        (
            {"DATABASE_URL": "postgres://u:p@h/d", "POSTGRES_HOST": "db"},
            "Both DATABASE_URL and POSTGRES_HOST are set",
        ),
        ({"POSTGRES_HOST": "db"}, "POSTGRES_HOST is set without POSTGRES_PASSWORD"),
    ],
)
def test_contradicting_or_incomplete_settings_are_refused(
    environ: dict[str, str], message: str
) -> None:
    with pytest.raises(DatabaseSettingsError, match=message):
        database_url(environ)
