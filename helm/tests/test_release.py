"""Release plumbing: the GitHub workflows lint clean and run the repository's own make
targets; Dependabot watches every manifest; the release artifacts are usable."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
import tarfile
from pathlib import Path
from types import ModuleType

import helm_python as helm
import pytest
import yaml

from chart_render import REPO

WORKFLOWS = REPO / ".github" / "workflows"
ACTIONLINT = Path(sys.executable).parent / "actionlint"
# Targets whose part of the repository arrives with another change; each is checked as
# soon as the file that marks that part exists.
TARGET_PREREQUISITES = {
    "lint-frontend": "frontend/package.json",
    "test-frontend": "frontend/package.json",
    "test-e2e": "frontend/package.json",
    "test-compose": "compose.yaml",
    "test-chart-pods": "helm/tests/test_chart_pods.py",
}


def _load_release_artifacts() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "release_artifacts", REPO / "scripts" / "release_artifacts.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_workflows_pass_actionlint_with_no_findings() -> None:
    files = sorted(WORKFLOWS.glob("*.yml"))
    assert files
    result = subprocess.run(
        [str(ACTIONLINT), "-oneline", "-no-color", *map(str, files)],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    assert result.stdout + result.stderr == ""
    assert result.returncode == 0


def _makefile_targets() -> set[str]:
    return set(re.findall(r"^([a-z][a-z-]*):", (REPO / "Makefile").read_text(), re.MULTILINE))


def _workflow_make_targets() -> set[str]:
    targets = set()
    for file in WORKFLOWS.glob("*.yml"):
        for job in yaml.safe_load(file.read_text())["jobs"].values():
            for step in job.get("steps", []):
                for command in re.findall(r"\bmake ([^\n;&|]+)", step.get("run", "")):
                    targets |= {word for word in command.split() if re.fullmatch(r"[a-z-]+", word)}
                    targets |= set(job.get("strategy", {}).get("matrix", {}).get("suite", []))
    return targets


def test_workflows_run_the_same_make_targets_as_ci() -> None:
    called = _workflow_make_targets()
    assert {"lint", "setup", "test-backend", "test-inference", "test-chart"} <= called
    pending = {
        target for target, marker in TARGET_PREREQUISITES.items() if not (REPO / marker).exists()
    }
    missing = called - _makefile_targets() - pending
    assert missing == set()


def test_ci_and_make_test_cover_every_python_suite_the_workflows_run() -> None:
    makefile = (REPO / "Makefile").read_text()
    test_line = next(line for line in makefile.splitlines() if line.startswith("test:"))
    for suite in ("test-common", "test-backend", "test-inference", "test-chart"):
        assert suite in test_line
    assert "make test" in (REPO / ".ci" / "run").read_text()


def test_dependabot_watches_every_manifest() -> None:
    config = yaml.safe_load((REPO / ".github" / "dependabot.yml").read_text())
    watched: dict[str, set[str]] = {}
    for update in config["updates"]:
        directories = update.get("directories") or [update["directory"]]
        watched.setdefault(update["package-ecosystem"], set()).update(directories)
    python_projects = {
        "/" + str(lock.parent.relative_to(REPO))
        for lock in REPO.glob("**/uv.lock")
        if ".venv" not in lock.parts and ".tools" not in lock.parts
    }
    assert python_projects <= watched["uv"]
    assert {"/common", "/backend", "/inference", "/helm/tests"} <= python_projects
    assert "/frontend" in watched["npm"]
    assert {"/backend", "/inference", "/"} <= watched["docker"]
    assert "/" in watched["github-actions"]


def test_packaged_chart_carries_the_release_version_and_registry(tmp_path: Path) -> None:
    archive = _load_release_artifacts().package_chart("2.3.4", "registry.example/team", tmp_path)
    assert archive.name == "recotem-2.3.4.tgz"
    with helm.Chart.load(archive) as chart:
        assert chart.version == "2.3.4"
        assert chart.metadata["appVersion"] == "2.3.4"
        assert chart.values["images"]["registry"] == "registry.example/team"
        files = {entry["name"] for entry in chart.files}
    assert not any(name.startswith("ci/") for name in files)


def test_compose_bundle_runs_published_images_without_building(tmp_path: Path) -> None:
    checkout = tmp_path / "checkout"
    (checkout / "envs").mkdir(parents=True)
    backend = {"build": {"context": ".", "dockerfile": "backend/Dockerfile"}}
    compose = {
        "x-backend": {**backend, "image": "recotem-backend:${RECOTEM_TAG:-dev}"},
        "services": {
            "backend": {**backend, "image": "recotem-backend:${RECOTEM_TAG:-dev}"},
            "proxy": {"build": {"context": "."}, "image": "recotem-proxy:dev"},
            "redis": {"image": "redis:7"},
        },
    }
    (checkout / "compose.yaml").write_text(yaml.safe_dump(compose))
    (checkout / "compose-inference.yaml").write_text(
        yaml.safe_dump({"services": {"inference": {"build": ".", "image": "recotem-inference"}}})
    )
    (checkout / "envs" / "production.env.example").write_text("SECRET_KEY=\n")
    archive = _load_release_artifacts().bundle_compose(
        "2.3.4", "registry.example/team", tmp_path, repo=checkout
    )
    with tarfile.open(archive) as tar:
        names = set(tar.getnames())
        bundled = yaml.safe_load(tar.extractfile("recotem-compose-2.3.4/compose.yaml").read())  # type: ignore[union-attr]
    assert "recotem-compose-2.3.4/envs/production.env.example" in names
    assert "recotem-compose-2.3.4/compose-inference.yaml" in names
    services = bundled["services"]
    assert services["backend"] == {"image": "registry.example/team/recotem-backend:2.3.4"}
    assert services["proxy"] == {"image": "registry.example/team/recotem-proxy:2.3.4"}
    assert services["redis"] == {"image": "redis:7"}


def test_compose_bundle_refuses_a_built_service_without_an_image(tmp_path: Path) -> None:
    module = _load_release_artifacts()
    with pytest.raises(SystemExit, match="names no image"):
        module.published_compose({"services": {"web": {"build": "."}}}, "1.0.0", "r")
