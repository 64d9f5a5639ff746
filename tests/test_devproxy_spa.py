"""`make run` builds the web UI only when needed, with the real npm."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

import devproxy

# Like Vite: a content-hashed bundle under assets/ and an index naming it.
BUILD_SCRIPT = """
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
const source = readFileSync("src/main.js");
const name = "index-" + createHash("sha256").update(source).digest("hex").slice(0, 8) + ".js";
rmSync("dist", { recursive: true, force: true });
mkdirSync("dist/assets", { recursive: true });
writeFileSync("dist/assets/" + name, source);
writeFileSync("dist/index.html", `<script type="module" src="/assets/${name}"></script>`);
writeFileSync("dist/build-id.txt", String(process.hrtime.bigint()));
if (process.env.SPA_FIXTURE_FAIL) process.exit(1);
"""


def write_project(frontend: Path, version: str = "1.0.0") -> None:
    (frontend / "src").mkdir(parents=True, exist_ok=True)
    (frontend / "src" / "main.js").write_text("console.log('hello');\n")
    (frontend / "build.mjs").write_text(BUILD_SCRIPT)
    set_version(frontend, version)


def set_version(frontend: Path, version: str) -> None:
    manifest = {"name": "spa", "version": version, "private": True}
    (frontend / "package.json").write_text(
        json.dumps({**manifest, "scripts": {"build": "node build.mjs"}})
    )
    lock = {
        "name": "spa",
        "version": version,
        "lockfileVersion": 3,
        "requires": True,
        "packages": {"": {"name": "spa", "version": version}},
    }
    (frontend / "package-lock.json").write_text(json.dumps(lock))


def installed_marker(frontend: Path) -> Path:
    """A file npm ci would remove along with the rest of node_modules."""
    marker = frontend / "node_modules" / "marker"
    marker.parent.mkdir(exist_ok=True)
    marker.touch()
    return marker


def build_id(frontend: Path) -> str:
    return (frontend / "dist" / "build-id.txt").read_text()


@pytest.fixture
def frontend(tmp_path: Path) -> Path:
    write_project(tmp_path / "frontend")
    return tmp_path / "frontend"


def test_first_start_installs_and_builds_and_a_restart_does_neither(
    frontend: Path, tmp_path: Path
) -> None:
    served = devproxy.prepare_spa(frontend, tmp_path / "placeholder")
    assert served == frontend / "dist"
    assert (served / "index.html").exists()
    first_build, marker = build_id(frontend), installed_marker(frontend)

    started = time.monotonic()
    assert devproxy.prepare_spa(frontend, tmp_path / "placeholder") == served
    assert time.monotonic() - started < 1
    assert build_id(frontend) == first_build
    assert marker.exists()


def test_a_changed_source_is_rebuilt_without_reinstalling(frontend: Path, tmp_path: Path) -> None:
    devproxy.prepare_spa(frontend, tmp_path / "placeholder")
    first_build, marker = build_id(frontend), installed_marker(frontend)
    (frontend / "src" / "main.js").write_text("console.log('changed');\n")
    devproxy.prepare_spa(frontend, tmp_path / "placeholder")
    assert build_id(frontend) != first_build
    assert marker.exists()
    assert "changed" in next((frontend / "dist" / "assets").glob("*.js")).read_text()


def test_a_changed_lockfile_reinstalls_and_rebuilds(frontend: Path, tmp_path: Path) -> None:
    devproxy.prepare_spa(frontend, tmp_path / "placeholder")
    first_build, marker = build_id(frontend), installed_marker(frontend)
    set_version(frontend, "1.0.1")
    devproxy.prepare_spa(frontend, tmp_path / "placeholder")
    assert not marker.exists()
    assert build_id(frontend) != first_build


def test_a_removed_build_is_rebuilt(frontend: Path, tmp_path: Path) -> None:
    devproxy.prepare_spa(frontend, tmp_path / "placeholder")
    (frontend / "dist" / "index.html").unlink()
    devproxy.prepare_spa(frontend, tmp_path / "placeholder")
    assert (frontend / "dist" / "index.html").exists()


def test_without_node_a_page_says_what_to_install(
    frontend: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "no-tools-here"))
    served = devproxy.prepare_spa(frontend, tmp_path / "placeholder")
    assert served == tmp_path / "placeholder"
    page = (served / "index.html").read_text()
    assert "Node.js 20 or newer" in page
    assert "https://nodejs.org/" in page
    assert "Node.js 20 or newer is needed to build the web UI" in capsys.readouterr().out


def test_without_node_an_earlier_build_is_still_served(
    frontend: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    devproxy.prepare_spa(frontend, tmp_path / "placeholder")
    monkeypatch.setenv("PATH", str(tmp_path / "no-tools-here"))
    assert devproxy.prepare_spa(frontend, tmp_path / "placeholder") == frontend / "dist"


def test_a_failed_build_is_reported_on_the_page_and_retried_next_time(
    frontend: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SPA_FIXTURE_FAIL", "1")
    served = devproxy.prepare_spa(frontend, tmp_path / "placeholder")
    assert "npm run build</code> failed" in (served / "index.html").read_text()
    monkeypatch.delenv("SPA_FIXTURE_FAIL")
    assert devproxy.prepare_spa(frontend, tmp_path / "placeholder") == frontend / "dist"


def test_a_checkout_without_a_frontend_gets_a_page_pointing_at_the_api(tmp_path: Path) -> None:
    served = devproxy.prepare_spa(tmp_path / "nothing", tmp_path / "placeholder")
    assert "/api/v1/" in (served / "index.html").read_text()


def test_nginx_bin_chooses_the_binary_or_goes_without(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NGINX_BIN", "/nonexistent/nginx")
    assert devproxy.find_nginx() is None
    monkeypatch.setenv("NGINX_BIN", "/bin/true")
    assert devproxy.find_nginx() == "/bin/true"
