"""The embedded defaults every process derives its file locations from."""

from __future__ import annotations

from pathlib import Path

from recotem_common import paths


def test_without_a_variable_everything_lives_in_data_at_the_top_of_the_checkout() -> None:
    checkout = Path(__file__).resolve().parents[2]

    assert paths.data_dir({}) == checkout / "data"
    assert paths.sqlite_path(paths.data_dir({})) == checkout / "data" / "recotem.sqlite3"
    assert paths.media_root(paths.data_dir({})) == checkout / "data" / "media"


def test_the_variable_moves_the_data_directory(tmp_path: Path) -> None:
    assert paths.data_dir({"RECOTEM_DATA_DIR": str(tmp_path)}) == tmp_path.resolve()
    assert paths.data_dir({"RECOTEM_DATA_DIR": ""}) == paths.DEFAULT_DATA_DIR
