"""The compose files run for real: a Docker engine of our own, the three images, and the
stacks of compose.yaml and compose-inference.yaml brought up on this machine's loopback.

``python containers/stack.py images`` (``make images``) builds the images into the engine
that scripts/container-engine.sh keeps under RECOTEM_ENGINE_DIR, for any check to reuse.
"""

from __future__ import annotations

import json
import os
import secrets
import shlex
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
ENGINE_SCRIPT = REPO / "scripts" / "container-engine.sh"
STANDINS_SCRIPT = Path(__file__).resolve().parent / "standins.sh"
COMPOSE_FILES = ("compose.yaml", "compose-dev.yaml", "compose-inference.yaml")
IMAGES = {"backend": "recotem-backend", "inference": "recotem-inference", "proxy": "recotem-proxy"}
# Where each service listens: <RECOTEM_CHECK_NET>.<n>, its usual port.
HOST_NUMBERS = {"db": 21, "redis": 22, "backend": 23, "inference": 24, "proxy": 25}
SECRETS = ("SECRET_KEY", "POSTGRES_PASSWORD", "REDIS_PASSWORD", "DEFAULT_ADMIN_PASSWORD")


def log(message: str) -> None:
    print(f"[compose-check] {message}", flush=True)


def check_net() -> str:
    return os.environ.get("RECOTEM_CHECK_NET", "127.0.4")


def address(service: str) -> str:
    return f"{check_net()}.{HOST_NUMBERS[service]}"


def run(
    args: list[str], env: Mapping[str, str], *, check: bool = True, timeout: float = 1800
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        args, env=dict(env), cwd=REPO, text=True, capture_output=True, timeout=timeout, check=False
    )
    if check and result.returncode != 0:
        raise RuntimeError(
            f"{shlex.join(args)} exited with {result.returncode}:\n"
            f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        )
    return result


@contextmanager
def engine() -> Iterator[dict[str, str]]:
    """The environment of a running engine; stops it afterwards if it started it here."""
    pidfile = Path(os.environ.get("RECOTEM_ENGINE_DIR", "/tmp/recotem-engine")) / "dockerd.pid"
    was_running = pidfile.exists() and Path(f"/proc/{pidfile.read_text().strip()}").exists()
    started = run([str(ENGINE_SCRIPT), "start"], os.environ)
    env = dict(os.environ)
    for assignment in started.stdout.split()[1:]:
        name, _, value = assignment.partition("=")
        env[name] = value
    try:
        yield env
    finally:
        if not was_running:
            run([str(ENGINE_SCRIPT), "stop"], os.environ, check=False)


def loopback_override(compose_file: str) -> dict[str, Any]:
    """The override this machine forces on ``compose_file``, and nothing else.

    Its engine has no bridge network: every container joins the host's network, each
    service listens on its own loopback address with its usual port and the service names
    map to those addresses. Builds use the host's network too, with the machine's CA bundle
    as the "ca" build secret (downloads pass a TLS-inspecting proxy). The proxy is reached
    at its loopback address instead of a published port.
    """
    services = yaml.safe_load((REPO / compose_file).read_text())["services"]
    hosts = [f"{name}:{address(name)}" for name in HOST_NUMBERS]
    override: dict[str, Any] = {}
    for name, service in services.items():
        change: dict[str, Any] = {"network_mode": "host", "extra_hosts": hosts}
        if "build" in service:
            change["build"] = {"network": "host", "secrets": ["ca"]}
        override[name] = change
    listen: dict[str, dict[str, Any]] = {
        "db": {"command": ["postgres", "-c", f"listen_addresses={address('db')}"]},
        "redis": {"command": [*services["redis"]["command"], "--bind", address("redis")]},
        "backend": {
            "command": [
                "daphne",
                "-b",
                address("backend"),
                "-p",
                "8080",
                "recotem.asgi:application",
            ]
        },
        "inference": {"environment": {"INFERENCE_HOST": address("inference")}},
        "proxy": {"environment": {"PROXY_LISTEN": f"{address('proxy')}:8000"}},
    }
    for name, listening in listen.items():
        if name in override:
            override[name].update(listening)
    ca = os.environ.get("SSL_CERT_FILE", "/etc/ssl/certs/ca-certificates.crt")
    return {"services": override, "secrets": {"ca": {"file": ca}}}


class _PlainDumper(yaml.SafeDumper):
    """Writes a value shared by several services in full each time, for a readable file."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def write_override(compose_file: str, directory: Path) -> Path:
    path = directory / f"{Path(compose_file).stem}.loopback.yaml"
    text = yaml.dump(loopback_override(compose_file), Dumper=_PlainDumper, sort_keys=False)
    path.write_text(text)
    return path


def write_env_file(directory: Path, values: Mapping[str, str]) -> Path:
    """envs/production.env.example with ``values`` filled in, as an operator would."""
    lines = []
    for line in (REPO / "envs" / "production.env.example").read_text().splitlines():
        name = line.partition("=")[0]
        filled = not line.startswith("#") and name in values
        lines.append(f"{name}={values[name]}" if filled else line)
    missing = set(values) - {line.partition("=")[0] for line in lines}
    lines += [f"{name}={values[name]}" for name in sorted(missing)]
    path = directory / "production.env"
    path.write_text("\n".join(lines) + "\n")
    return path


def generated_secrets() -> dict[str, str]:
    return {name: secrets.token_urlsafe(36) for name in SECRETS}


@dataclass
class Stack:
    """One compose project of this check, run with the machine's override."""

    compose_file: str
    project: str
    env: dict[str, str]
    workdir: Path
    env_file: Path | None = None
    files: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        override = write_override(self.compose_file, self.workdir)
        self.files = ["-f", self.compose_file, "-f", str(override)]
        if self.env_file:
            self.files += ["--env-file", str(self.env_file)]
        log(f"{self.compose_file}: override for this machine:\n{override.read_text()}")

    def compose(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return run(
            ["docker", "compose", "-p", self.project, *self.files, *args], self.env, check=check
        )

    def up(self) -> None:
        started = self.compose("up", "--detach", "--no-build", "--quiet-pull", check=False)
        if started.returncode != 0:
            raise RuntimeError(
                f"{self.compose_file} did not come up:\n{started.stderr[-1500:]}\n{self.logs()}"
            )

    def states(self) -> dict[str, dict[str, Any]]:
        output = self.compose("ps", "--all", "--format", "json").stdout
        rows = [json.loads(line) for line in output.splitlines() if line.strip()]
        return {row["Service"]: row for row in rows}

    def wait_healthy(self, timeout: float) -> float:
        """Seconds until every service is healthy (one-shot ones exited with 0); logs when
        each one got there."""
        started = time.monotonic()
        ready: dict[str, float] = {}
        pending = ["every service"]
        while time.monotonic() - started < timeout:
            pending = []
            for name, row in self.states().items():
                if row["State"] == "exited" and row["ExitCode"] != 0:
                    raise RuntimeError(f"{name} exited with {row['ExitCode']}:\n{self.logs(name)}")
                if row["State"] == "exited" or row["Health"] == "healthy":
                    ready.setdefault(name, time.monotonic() - started)
                else:
                    pending.append(f"{name} ({row['Health'] or row['State']})")
            if ready and not pending:
                order = sorted(ready.items(), key=lambda item: item[1])
                log("ready after: " + ", ".join(f"{name} {at:.0f}s" for name, at in order))
                return time.monotonic() - started
            time.sleep(1)
        waiting = [entry.partition(" ")[0] for entry in pending]
        # The waiting services' own story goes last: CI shows the end of a long failure.
        raise RuntimeError(
            f"not healthy after {timeout:.0f}s: {', '.join(pending)}\n{self.logs()}\n"
            + "\n".join(self.diagnosis(name) for name in waiting)
        )

    def diagnosis(self, service: str) -> str:
        """How ``service`` started (its first log lines) and what its health check last
        printed."""
        started = self.compose("logs", "--no-color", service, check=False).stdout
        ids = self.compose("ps", "--all", "--quiet", service, check=False).stdout.split()
        probes = run(
            ["docker", "inspect", "--format", "{{json .State.Health}}", *ids], self.env, check=False
        ).stdout
        first_lines = "\n".join(started.splitlines()[:40])
        return (
            f"== {service}: first log lines\n{first_lines[:5000]}\n"
            f"== {service}: health checks\n{probes[-2500:]}"
        )

    def logs(self, service: str | None = None) -> str:
        args = ["logs", "--no-color", "--tail", "40"] + ([service] if service else [])
        return self.compose(*args, check=False).stdout[-6000:]

    def memory(self) -> dict[str, float]:
        """Each running container's memory in MiB (cgroup usage, as `docker stats`)."""
        ids = self.compose("ps", "--quiet").stdout.split()
        output = run(
            ["docker", "stats", "--no-stream", "--format", "{{.Name}} {{.MemUsage}}", *ids],
            self.env,
        ).stdout
        usage = {}
        for line in output.splitlines():
            name, amount = line.split()[:2]
            usage[name.removeprefix(f"{self.project}-").rsplit("-", 1)[0]] = _mebibytes(amount)
        return usage

    def process_memory(self, service: str) -> list[tuple[str, float]]:
        """Resident memory in MiB of each process of a Python service's container."""
        script = (
            "import os, pathlib\n"
            "for status in sorted(pathlib.Path('/proc').glob('[0-9]*/status')):\n"
            "    if status.parent.name == str(os.getpid()):\n"
            "        continue\n"
            "    fields = dict(line.split(':', 1) for line in status.read_text().splitlines())\n"
            "    cmdline = (status.parent / 'cmdline').read_bytes().decode().split(chr(0))\n"
            "    if 'VmRSS' in fields:\n"
            "        print(int(fields['VmRSS'].split()[0]) / 1024, ' '.join(cmdline)[:60])"
        )
        output = self.compose("exec", "-T", service, "python", "-c", script).stdout
        return [
            (command.strip(), float(rss))
            for rss, _, command in (line.partition(" ") for line in output.splitlines())
        ]

    def down(self) -> None:
        self.compose("down", "--volumes", "--remove-orphans", "--timeout", "20", check=False)


def _mebibytes(amount: str) -> float:
    units = {"B": 1 / 2**20, "KiB": 1 / 1024, "MiB": 1, "GiB": 1024}
    for unit, factor in sorted(units.items(), key=lambda item: -len(item[0])):
        if amount.endswith(unit):
            return float(amount.removesuffix(unit)) * factor
    raise ValueError(amount)


def build_images(env: Mapping[str, str], workdir: Path) -> dict[str, float]:
    """Stand-ins where needed, then the three images, built once; their build seconds."""
    standins = run([str(STANDINS_SCRIPT)], env).stdout.strip()
    if standins:
        log("base images built here because no registry answers:\n" + standins)
    build_env = dict(env)
    # compose.yaml requires every secret before it does anything; a build uses none.
    build_env.update(dict.fromkeys(SECRETS, "unused-by-the-build"))
    build_env["RECOTEM_ENV_FILE"] = str(REPO / "envs" / "production.env.example")
    stack = Stack("compose.yaml", "recotem-build", build_env, workdir)
    seconds = {}
    for service, image in IMAGES.items():
        started = time.monotonic()
        stack.compose("build", service)
        seconds[image] = time.monotonic() - started
        log(f"built {image} in {seconds[image]:.0f}s")
    return seconds


def dockerfile_defaults(dockerfile: str) -> dict[str, str]:
    """The default values of a Dockerfile's build arguments (its base images among them)."""
    defaults = {}
    for line in (REPO / dockerfile).read_text().splitlines():
        if line.startswith("ARG ") and "=" in line:
            name, _, value = line.removeprefix("ARG ").partition("=")
            defaults[name] = value
    return defaults


def image_sizes(env: Mapping[str, str]) -> dict[str, tuple[float, float]]:
    """Each image's size and the part it adds above its base image, in MB."""

    def size(image: str) -> float:
        return int(run(["docker", "image", "inspect", "-f", "{{.Size}}", image], env).stdout) / 1e6

    bases = {
        "recotem-backend": dockerfile_defaults("backend/Dockerfile")["PYTHON_IMAGE"],
        "recotem-inference": dockerfile_defaults("inference/Dockerfile")["PYTHON_IMAGE"],
        "recotem-proxy": dockerfile_defaults("proxy.dockerfile")["NGINX_IMAGE"],
    }
    return {
        image: (size(f"{image}:dev"), size(f"{image}:dev") - size(base))
        for image, base in bases.items()
    }


def main(argv: list[str]) -> int:
    if argv[1:] != ["images"]:
        print(f"usage: {argv[0]} images", file=sys.stderr)
        return 2
    workdir = Path(os.environ.get("RECOTEM_ENGINE_DIR", "/tmp/recotem-engine")) / "check"
    workdir.mkdir(parents=True, exist_ok=True)
    with engine() as env:
        build_images(env, workdir)
        for image, (total, added) in image_sizes(env).items():
            log(f"{image}: {total:.0f} MB, {added:.0f} MB above its base")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
