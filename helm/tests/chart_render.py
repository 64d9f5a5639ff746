"""Render the Recotem chart with Helm's own engine and read the manifests back.

Shared by the chart tests and by the script that starts the rendered pods with Docker, so
both look at exactly what `helm install` would apply.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import helm_python as helm
import yaml

REPO = Path(__file__).resolve().parents[2]
CHART_DIR = REPO / "helm" / "recotem"
PROFILES_DIR = CHART_DIR / "ci"
RELEASE = "recotem"
NAMESPACE = "recotem"

Manifest = dict[str, Any]


def profile_values(profile: str) -> dict[str, Any]:
    """The values of ``helm/recotem/ci/<profile>-values.yaml``."""
    loaded = yaml.safe_load((PROFILES_DIR / f"{profile}-values.yaml").read_text())
    return dict(loaded or {})


def profiles() -> list[str]:
    return sorted(path.name.removesuffix("-values.yaml") for path in PROFILES_DIR.glob("*.yaml"))


def render_templates(values: dict[str, Any], *, is_upgrade: bool = False) -> dict[str, str]:
    """Template path -> rendered text, as `helm template` produces it."""
    with helm.Chart.load(CHART_DIR) as chart:
        chart.validate_schema(values)
        return chart.render(
            values=values,
            name=RELEASE,
            namespace=NAMESPACE,
            is_install=not is_upgrade,
            is_upgrade=is_upgrade,
        )


def render(values: dict[str, Any], *, is_upgrade: bool = False) -> Rendered:
    manifests = [
        document
        for path, text in sorted(render_templates(values, is_upgrade=is_upgrade).items())
        if not path.endswith("NOTES.txt")
        for document in yaml.safe_load_all(text)
        if document
    ]
    return Rendered(manifests)


def hook_events(manifest: Manifest) -> set[str]:
    annotations = manifest["metadata"].get("annotations") or {}
    events = annotations.get("helm.sh/hook", "")
    return {event.strip() for event in events.split(",") if event.strip()}


def pod_spec(manifest: Manifest) -> dict[str, Any]:
    if manifest["kind"] == "Pod":
        return dict(manifest["spec"])
    return dict(manifest["spec"]["template"]["spec"])


def pod_metadata(manifest: Manifest) -> dict[str, Any]:
    if manifest["kind"] == "Pod":
        return dict(manifest["metadata"])
    return dict(manifest["spec"]["template"]["metadata"])


def component(manifest: Manifest) -> str:
    return str(manifest["metadata"]["labels"].get("app.kubernetes.io/component", ""))


@dataclass
class Rendered:
    manifests: list[Manifest]
    _by_key: dict[tuple[str, str], Manifest] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._by_key = {(m["kind"], m["metadata"]["name"]): m for m in self.manifests}

    def of_kind(self, *kinds: str) -> list[Manifest]:
        return [m for m in self.manifests if m["kind"] in kinds]

    def get(self, kind: str, name: str) -> Manifest | None:
        return self._by_key.get((kind, name))

    def workloads(self) -> list[Manifest]:
        """Everything that runs containers: Deployments, StatefulSets, Jobs, test Pods."""
        return self.of_kind("Deployment", "StatefulSet", "Job", "Pod")

    def by_component(self, kind: str, name: str) -> Manifest:
        matches = [m for m in self.of_kind(kind) if component(m) == name]
        assert len(matches) == 1, f"expected one {kind} for {name}, found {len(matches)}"
        return matches[0]

    def components(self, kind: str) -> set[str]:
        return {component(m) for m in self.of_kind(kind)}

    def containers(self, workload: Manifest) -> Iterator[dict[str, Any]]:
        spec = pod_spec(workload)
        yield from spec.get("initContainers") or []
        yield from spec["containers"]

    def secret_data(self, name: str) -> dict[str, str] | None:
        secret = self.get("Secret", name)
        if secret is None:
            return None
        return {
            key: base64.b64decode(value).decode()
            for key, value in (secret.get("data") or {}).items()
        } | dict(secret.get("stringData") or {})

    def environment(self, container: dict[str, Any]) -> dict[str, str | None]:
        """The container's variables with values resolved from the rendered ConfigMaps and
        Secrets; a variable from a Secret the chart does not render maps to None."""
        env: dict[str, str | None] = {}
        for source in container.get("envFrom") or []:
            if "configMapRef" in source:
                config_map = self.get("ConfigMap", source["configMapRef"]["name"])
                assert config_map is not None, f"missing ConfigMap {source['configMapRef']}"
                env.update(config_map.get("data") or {})
            if "secretRef" in source:
                env.update(self.secret_data(source["secretRef"]["name"]) or {})
        for variable in container.get("env") or []:
            if "value" in variable:
                env[variable["name"]] = str(variable["value"])
                continue
            reference = variable["valueFrom"]
            if "configMapKeyRef" in reference:
                ref = reference["configMapKeyRef"]
                config_map = self.get("ConfigMap", ref["name"])
                env[variable["name"]] = (config_map or {}).get("data", {}).get(ref["key"])
            elif "secretKeyRef" in reference:
                ref = reference["secretKeyRef"]
                data = self.secret_data(ref["name"])
                env[variable["name"]] = None if data is None else data.get(ref["key"])
        return env
