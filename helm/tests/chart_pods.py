"""The rendered chart's pods run with Docker on this machine's loopback, short of a cluster.

No Kubernetes API server can run here, so this plays the part of one for a single-node
install: every Deployment and StatefulSet becomes one pod (one replica), each Service name
resolves to its pod's own loopback address, the hook Jobs run in hook order after the
release's other objects, and each container gets what the kubelet would give it: the
rendered image, command and args, env from the rendered ConfigMaps and Secrets, emptyDir
and claim volumes, the user, read-only root filesystem and dropped capabilities of its
security context, and its memory limit. Readiness is the container's own HTTP probe.

What the machine forces, announced in the output: a pod listens on its loopback address
instead of every interface (the host's network is shared, and 0.0.0.0 or 127.0.0.1 in a
command, an env value or a probe means the pod's own address); emptyDirs and claims are
Docker volumes; the third-party images are local stand-ins, which run as their own user;
exec probes of the database and Redis are replaced by a TCP connect to their port.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from containers.stack import _mebibytes, log, run

from chart_render import NAMESPACE, Manifest, Rendered, hook_events, pod_metadata, pod_spec

POD_LOCAL = ("0.0.0.0", "127.0.0.1")  # noqa: S104 - rewritten, never bound
THIRD_PARTY = {"postgresql", "redis"}
WORKLOAD_KINDS = ("StatefulSet", "Deployment")


@dataclass
class Pod:
    """One pod of a rendered workload, at its own loopback address."""

    name: str
    workload: Manifest
    address: str
    containers: list[str] = field(default_factory=list)

    @property
    def spec(self) -> dict[str, Any]:
        return pod_spec(self.workload)

    @property
    def labels(self) -> dict[str, str]:
        return dict(pod_metadata(self.workload).get("labels") or {})

    @property
    def component(self) -> str:
        return self.labels.get("app.kubernetes.io/component", "")


def memory_limit(quantity: str) -> str:
    """A Kubernetes memory quantity as Docker's --memory value."""
    units = {"Ki": "k", "Mi": "m", "Gi": "g"}
    for suffix, unit in units.items():
        if quantity.endswith(suffix):
            return quantity.removesuffix(suffix) + unit
    return quantity


def pod_local(value: str, address: str) -> str:
    for local in POD_LOCAL:
        value = value.replace(local, address)
    return value


@dataclass
class ChartPods:
    """The rendered objects of one release, run as containers of the engine at ``env``."""

    rendered: Rendered
    env: dict[str, str]
    project: str
    addresses: Iterable[str]
    pods: dict[str, Pod] = field(default_factory=dict)
    hosts: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        free = iter(self.addresses)
        for kind in WORKLOAD_KINDS:
            for workload in self.rendered.of_kind(kind):
                self._add(workload, next(free))
        for workload in self.rendered.of_kind("Job", "Pod"):
            self._add(workload, next(free))
        for service in self.rendered.of_kind("Service"):
            address = self._selected(service).address
            name = service["metadata"]["name"]
            for suffix in (
                "",
                f".{NAMESPACE}",
                f".{NAMESPACE}.svc",
                f".{NAMESPACE}.svc.cluster.local",
            ):
                self.hosts.append(f"{name}{suffix}:{address}")

    def _add(self, workload: Manifest, address: str) -> None:
        name = workload["metadata"]["name"]
        self.pods[name] = Pod(name, workload, address)

    def _selected(self, service: Manifest) -> Pod:
        selector = service["spec"]["selector"]
        matching = [
            pod
            for pod in self.pods.values()
            if pod.workload["kind"] in WORKLOAD_KINDS and selector.items() <= pod.labels.items()
        ]
        assert len(matching) == 1, f"Service {service['metadata']['name']} selects {matching}"
        return matching[0]

    def service_address(self, name: str) -> str:
        return self._selected(self.rendered.get("Service", name) or {}).address

    # -- running ----------------------------------------------------------------------

    def docker(self, *args: str, check: bool = True, timeout: float = 900) -> str:
        return run(["docker", *args], self.env, check=check, timeout=timeout).stdout

    def _run_arguments(self, pod: Pod, container: dict[str, Any], name: str) -> list[str]:
        spec = pod.spec
        # Kubernetes runs no image HEALTHCHECK; the pod's probes are checked instead.
        args = ["--name", name, "--network", "host", "--no-healthcheck"]
        args += ["--label", f"recotem-pods={self.project}"]
        args += [f"--add-host={host}" for host in self.hosts]
        third_party = pod.component in THIRD_PARTY
        context = {
            **(spec.get("securityContext") or {}),
            **(container.get("securityContext") or {}),
        }
        if not third_party:
            if "runAsUser" in context:
                args += ["--user", f"{context['runAsUser']}:{context.get('runAsGroup', 0)}"]
            if "fsGroup" in context:
                args += ["--group-add", str(context["fsGroup"])]
            if context.get("readOnlyRootFilesystem"):
                args.append("--read-only")
            for capability in (context.get("capabilities") or {}).get("drop") or []:
                args += ["--cap-drop", capability]
            if context.get("allowPrivilegeEscalation") is False:
                args += ["--security-opt", "no-new-privileges"]
        limit = ((container.get("resources") or {}).get("limits") or {}).get("memory")
        if limit:
            args += ["--memory", memory_limit(str(limit))]
        for variable, value in self.rendered.environment(container).items():
            if value is None:
                continue
            listen = variable == "PROXY_LISTEN" and ":" not in value
            local = f"{pod.address}:{value}" if listen else pod_local(value, pod.address)
            args += ["--env", f"{variable}={local}"]
        volumes = {volume["name"]: volume for volume in spec.get("volumes") or []}
        for mount in container.get("volumeMounts") or []:
            args += self._mount(pod, volumes.get(mount["name"]), mount)
        command = [pod_local(part, pod.address) for part in container.get("command") or []]
        if command:
            args += ["--entrypoint", command[0]]
        args.append(container["image"])
        args += command[1:]
        args += [pod_local(part, pod.address) for part in container.get("args") or []]
        return args + self._listen_arguments(pod)

    def _listen_arguments(self, pod: Pod) -> list[str]:
        """The database and Redis bind their pod's address (their images listen on every
        interface, and the host's own servers hold 127.0.0.1)."""
        if pod.component == "postgresql":
            # The chart gives the database no command or args: the image's are extended.
            assert not any(c.get("args") or c.get("command") for c in pod.spec["containers"])
            return ["postgres", "-c", f"listen_addresses={pod.address}"]
        if pod.component == "redis":
            return ["--bind", pod.address]
        return []

    def _mount(self, pod: Pod, volume: dict[str, Any] | None, mount: dict[str, Any]) -> list[str]:
        path = mount["mountPath"]
        if volume is None:  # a StatefulSet's claim template
            return [
                "--mount",
                f"type=volume,src={self.project}-{mount['name']}-{pod.name}-0,dst={path}",
            ]
        if "emptyDir" in volume:
            name = self._empty_dir(pod, volume["name"])
            return ["--mount", f"type=volume,src={name},dst={path},volume-nocopy"]
        if "persistentVolumeClaim" in volume:
            claim = volume["persistentVolumeClaim"]["claimName"]
            read_only = ",readonly" if mount.get("readOnly") else ""
            return ["--mount", f"type=volume,src={self.project}-{claim},dst={path}{read_only}"]
        raise AssertionError(f"{pod.name}: no stand-in for volume {volume}")

    def prepare_volumes(self, image: str) -> None:
        """Each claim as a volume owned by the fsGroup of the pods that mount it, as a
        volume plugin applies fsGroup; each emptyDir as a volume of its pod, shared by the
        pod's containers and writable by all (0777), as the kubelet makes it."""
        commands, mounts = [], []
        for claim in self.rendered.of_kind("PersistentVolumeClaim"):
            name = claim["metadata"]["name"]
            groups = {
                str((pod.spec.get("securityContext") or {}).get("fsGroup", 0))
                for pod in self.pods.values()
                for volume in pod.spec.get("volumes") or []
                if (volume.get("persistentVolumeClaim") or {}).get("claimName") == name
            }
            assert len(groups) == 1, f"{name} is mounted with fsGroups {groups}"
            group = groups.pop()
            mounts += ["--mount", f"type=volume,src={self.project}-{name},dst=/v/{name}"]
            commands.append(f"chown {group}:{group} /v/{name} && chmod 2775 /v/{name}")
        for pod in self.pods.values():
            for volume in pod.spec.get("volumes") or []:
                if "emptyDir" in volume:
                    name = self._empty_dir(pod, volume["name"])
                    mounts += ["--mount", f"type=volume,src={name},dst=/v/{name}"]
                    commands.append(f"chmod 0777 /v/{name}")
        self.docker(
            "run",
            "--rm",
            "--user",
            "0",
            "--network",
            "none",
            "--entrypoint",
            "sh",
            *mounts,
            image,
            "-c",
            " && ".join(commands),
        )

    def _empty_dir(self, pod: Pod, volume: str) -> str:
        return f"{self.project}-{pod.name}-{volume}"

    def start(self, pod: Pod) -> None:
        """Init containers one after another, each to success; then the containers."""
        for index, container in enumerate(pod.spec.get("initContainers") or []):
            name = f"{self.project}-{pod.name}-init-{index}"
            self.docker("run", *self._run_arguments(pod, container, name))
            self.docker("rm", name)
        for container in pod.spec["containers"]:
            name = f"{self.project}-{pod.name}-{container['name']}"
            self.docker("run", "--detach", *self._run_arguments(pod, container, name))
            pod.containers.append(name)

    def complete(self, pod: Pod) -> str:
        """Run a Job's (or a test Pod's) containers to completion; their output."""
        output = []
        for index, container in enumerate(
            [*(pod.spec.get("initContainers") or []), *pod.spec["containers"]]
        ):
            name = f"{self.project}-{pod.name}-{index}"
            result = run(
                ["docker", "run", *self._run_arguments(pod, container, name)],
                self.env,
                check=False,
                timeout=600,
            )
            output.append(result.stdout + result.stderr)
            if result.returncode != 0:
                raise AssertionError(
                    f"{pod.name}/{container['name']} exited with {result.returncode}:\n"
                    + "".join(output)[-4000:]
                )
            pod.containers.append(name)
        return "".join(output)

    def up(self) -> dict[str, float]:
        """Every workload started (each in its own thread, as pods start independently),
        then the install hooks in order, then every pod ready; seconds until each was."""
        started = time.monotonic()
        ready: dict[str, float] = {}
        failures: list[BaseException] = []

        def start(pod: Pod) -> None:
            try:
                self.start(pod)
            except BaseException as error:  # reported by the caller
                failures.append(error)

        threads = []
        for kind in WORKLOAD_KINDS:
            for workload in self.rendered.of_kind(kind):
                thread = threading.Thread(
                    target=start, args=(self.pods[workload["metadata"]["name"]],)
                )
                thread.start()
                threads.append(thread)
        for job in self.install_hooks():
            self.complete(self.pods[job["metadata"]["name"]])
            ready[job["metadata"]["name"]] = time.monotonic() - started
            log(f"hook {job['metadata']['name']} completed")
        for thread in threads:
            thread.join(timeout=600)
        if failures:
            raise failures[0]
        for pod in self.workload_pods():
            self.wait_ready(pod, timeout=300)
            ready[pod.name] = time.monotonic() - started
        return ready

    def install_hooks(self) -> list[Manifest]:
        jobs = [job for job in self.rendered.of_kind("Job") if "post-install" in hook_events(job)]
        return sorted(
            jobs, key=lambda job: int(job["metadata"]["annotations"].get("helm.sh/hook-weight", 0))
        )

    def workload_pods(self) -> list[Pod]:
        return [pod for pod in self.pods.values() if pod.workload["kind"] in WORKLOAD_KINDS]

    def wait_ready(self, pod: Pod, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._assert_running(pod)
            if all(self._ready(pod, container) for container in pod.spec["containers"]):
                return
            time.sleep(1)
        raise AssertionError(f"{pod.name} not ready after {timeout:.0f}s:\n{self.logs(pod)}")

    def _assert_running(self, pod: Pod) -> None:
        for name in pod.containers:
            state = json.loads(self.docker("inspect", "--format", "{{json .State}}", name))
            if not state["Running"]:
                raise AssertionError(f"{name} stopped with {state['ExitCode']}:\n{self.logs(pod)}")

    def _ready(self, pod: Pod, container: dict[str, Any]) -> bool:
        """The container's readiness probe passes; without one, running is ready."""
        probe = container.get("readinessProbe") or {}
        ports = {port["name"]: port["containerPort"] for port in container.get("ports") or []}
        if "httpGet" in probe:
            get = probe["httpGet"]
            port = ports.get(get["port"], get["port"])
            headers = {header["name"]: header["value"] for header in get.get("httpHeaders") or []}
            request = urllib.request.Request(
                f"http://{pod.address}:{port}{get['path']}", headers=headers
            )
            try:
                with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
                    return 200 <= response.status < 400
            except OSError:
                return False
        if "exec" in probe and pod.component not in THIRD_PARTY:
            name = f"{self.project}-{pod.name}-{container['name']}"
            command = [pod_local(part, pod.address) for part in probe["exec"]["command"]]
            return run(["docker", "exec", name, *command], self.env, check=False).returncode == 0
        if probe:
            port = ports.get((probe.get("tcpSocket") or {}).get("port"), next(iter(ports.values())))
            try:
                with socket.create_connection((pod.address, port), 2):
                    return True
            except OSError:
                return False
        return True

    def logs(self, pod: Pod) -> str:
        return "\n".join(
            f"--- {name}\n" + self.docker("logs", "--tail", "40", name, check=False)
            for name in pod.containers
        )

    def memory(self) -> dict[str, float]:
        names = [name for pod in self.workload_pods() for name in pod.containers]
        output = self.docker("stats", "--no-stream", "--format", "{{.Name}} {{.MemUsage}}", *names)
        return {
            line.split()[0].removeprefix(f"{self.project}-"): _mebibytes(line.split()[1])
            for line in output.splitlines()
        }

    def down(self) -> None:
        ids = self.docker(
            "ps", "--all", "--quiet", "--filter", f"label=recotem-pods={self.project}"
        ).split()
        if ids:
            self.docker("rm", "--force", "--volumes", *ids, check=False)
        volumes = self.docker(
            "volume", "ls", "--quiet", "--filter", f"name={self.project}-"
        ).split()
        if volumes:
            self.docker("volume", "rm", "--force", *volumes, check=False)


def announce(pods: ChartPods, images: Mapping[str, str]) -> None:
    log(
        "the chart's pods on loopback: "
        + ", ".join(f"{pod.name} {pod.address}" for pod in pods.pods.values())
    )
    log(
        "images named by the chart, tagged from the locally built ones: "
        + ", ".join(f"{rendered} <- {local}" for rendered, local in images.items())
    )
    log(
        "forced by this machine: one replica per workload; pods bind their own loopback "
        "address; emptyDirs and claims are Docker volumes; the database and Redis are "
        "stand-ins running as their own user, probed by a TCP connect"
    )


def chart_images(rendered: Rendered) -> set[str]:
    images = set()
    for workload in rendered.workloads():
        for container in rendered.containers(workload):
            images.add(container["image"])
    return images


def stand_in_for(image: str) -> str:
    """The locally built image the check runs under the chart's image name."""
    repository = image.rsplit("/", 1)[-1].split(":", maxsplit=1)[0]
    local = {
        "recotem-backend": "recotem-backend:dev",
        "recotem-inference": "recotem-inference:dev",
        "recotem-proxy": "recotem-proxy:dev",
        "postgres": "postgres:17-alpine",
        "redis": "redis:7.4-alpine",
    }
    assert repository in local, f"no local image for {image}"
    return local[repository]
