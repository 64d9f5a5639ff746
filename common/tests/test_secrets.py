"""SECRET_KEY: refused when guessable, generated once per installation in debug mode."""

from __future__ import annotations

import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from recotem_common.secrets import (
    INSTALLATION_KEY_FILE,
    InsecureSecretKeyError,
    check_secret_key,
)


def test_debug_mode_generates_a_private_key_per_installation(tmp_path: Path) -> None:
    first = check_secret_key("", debug=True, data_dir=tmp_path / "one")
    again = check_secret_key("", debug=True, data_dir=tmp_path / "one")
    other = check_secret_key("", debug=True, data_dir=tmp_path / "two")

    assert first == again
    assert first != other
    assert len(first) >= 50
    key_file = tmp_path / "one" / INSTALLATION_KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert sorted(p.name for p in (tmp_path / "one").iterdir()) == [INSTALLATION_KEY_FILE]


def test_processes_starting_together_agree_on_one_key(tmp_path: Path) -> None:
    with ThreadPoolExecutor(8) as pool:
        keys = set(
            pool.map(lambda _: check_secret_key("", debug=True, data_dir=tmp_path), range(32))
        )

    assert len(keys) == 1


def test_a_set_key_wins_in_debug_mode(tmp_path: Path) -> None:
    assert check_secret_key("my-own-key", debug=True, data_dir=tmp_path) == "my-own-key"
    assert not (tmp_path / INSTALLATION_KEY_FILE).exists()


def test_an_unwritable_data_directory_is_a_clear_error(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a directory")

    with pytest.raises(InsecureSecretKeyError, match="Set SECRET_KEY"):
        check_secret_key("", debug=True, data_dir=blocked / "data")


def test_outside_debug_a_missing_key_is_refused_not_generated(tmp_path: Path) -> None:
    with pytest.raises(InsecureSecretKeyError, match="SECRET_KEY is missing"):
        check_secret_key("", debug=False, data_dir=tmp_path)
    assert not (tmp_path / INSTALLATION_KEY_FILE).exists()
