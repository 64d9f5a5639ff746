"""The chart renders with Helm's own engine, lints clean and yields valid Kubernetes objects
for every profile, and refuses values that could not work with a message saying why."""

from __future__ import annotations

from typing import Any

import helm_python as helm
import kubernetes_validate
import pytest
import yaml
from kubernetes_validate.utils import all_versions

from chart_render import CHART_DIR, NAMESPACE, profile_values, profiles, render


def _newest_minor_versions(count: int) -> list[str]:
    minors = sorted(
        {tuple(int(part) for part in version.split(".")[:2]) for version in all_versions()}
    )
    return [f"{major}.{minor}.0" for major, minor in minors[-count:]]


KUBERNETES_VERSIONS = _newest_minor_versions(3)
PROFILES = profiles()


def test_profiles_cover_defaults_production_inference_only_and_evaluation() -> None:
    assert {"default", "production", "inference-only", "evaluation"} <= set(PROFILES)


@pytest.mark.parametrize("profile", PROFILES)
def test_helm_lint_strict_has_no_findings(profile: str) -> None:
    report = helm.lint(CHART_DIR, profile_values(profile), strict=True, namespace=NAMESPACE)
    assert report["errors"] == []
    assert report["messages"] == []


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("profile", PROFILES)
def test_every_manifest_is_valid_for_the_newest_kubernetes_versions(
    profile: str, version: str
) -> None:
    rendered = render(profile_values(profile))
    failures = []
    for manifest in rendered.manifests:
        try:
            kubernetes_validate.validate(manifest, version, strict=True)
        except kubernetes_validate.ValidationError as error:
            failures.append(f"{manifest['kind']}/{manifest['metadata']['name']}: {error}")
    assert failures == []


def test_upgrade_renders_the_same_objects_as_install() -> None:
    values = profile_values("default")
    install = {(m["kind"], m["metadata"]["name"]) for m in render(values).manifests}
    upgrade = {
        (m["kind"], m["metadata"]["name"]) for m in render(values, is_upgrade=True).manifests
    }
    assert install == upgrade


def _leaf_paths(values: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    if isinstance(values, dict) and values:
        return [
            path for key, value in values.items() for path in _leaf_paths(value, (*prefix, key))
        ]
    return [prefix]


def test_schema_describes_every_value() -> None:
    schema = yaml.safe_load((CHART_DIR / "values.schema.json").read_text())
    defaults = yaml.safe_load((CHART_DIR / "values.yaml").read_text())
    undocumented = []
    for path in _leaf_paths(defaults):
        node = schema
        for key in path:
            properties = node.get("properties") or {}
            if key not in properties:
                # Free-form maps (resources, annotations...) describe their parent only.
                break
            node = properties[key]
            if not node.get("description"):
                undocumented.append(".".join(path))
                break
        else:
            continue
        if node is schema or node.get("additionalProperties") is False:
            undocumented.append(".".join(path))
    assert undocumented == []


def _refusal(overrides: dict[str, Any], base: str = "default") -> str:
    values = _merged(profile_values(base), overrides)
    with pytest.raises(helm.HelmError) as refused:
        render(values)
    return str(refused.value)


def _merged(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merged(merged[key], value)
        else:
            merged[key] = value
    return merged


def test_bare_defaults_are_refused_until_secrets_and_servers_are_named() -> None:
    with pytest.raises(helm.HelmError, match=r"secrets\.secretKey must be at least 32"):
        render({})
    message = _refusal({"externalDatabase": {"host": ""}})
    assert "externalDatabase.host" in message
    assert "postgresql.enabled" in message
    assert "externalRedis.host" in _refusal({"externalRedis": {"host": ""}})


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (
            {"persistence": {"accessMode": "ReadWriteOnce"}},
            "ReadWriteOnce volume attaches to one node",
        ),
        ({"persistence": {"accessMode": "ReadWriteOncePod"}}, "several pods share the data claim"),
        ({"persistence": {"accessMode": "ReadOnlyMany"}}, "write uploads and models"),
        ({"secrets": {"adminPassword": ""}}, "secrets.adminPassword must be at least 12"),
        ({"storage": {"type": "s3"}}, "needs storage.s3.bucket"),
        (
            {"storage": {"type": "s3", "s3": {"bucket": "b", "accessKeyId": "AKIA"}}},
            "go together",
        ),
        ({"postgresql": {"enabled": True}}, "postgresql.password is required"),
        (
            {"backend": {"autoscaling": {"enabled": True, "minReplicas": 5, "maxReplicas": 2}}},
            "backend.autoscaling.minReplicas (5) exceeds maxReplicas (2)",
        ),
        ({"ingress": {"enabled": True}}, "at least one entry in ingress.hosts"),
        ({"beat": {"replicas": 2}}, "'replicas' not allowed"),
        ({"secrets": {"secretKey": "short"}}, "secretKey"),
        ({"mode": "everything"}, "value must be one of"),
        ({"backend": {"replica": 3}}, "'replica' not allowed"),
        ({"persistence": {"colocate": "yes"}}, "colocate"),
    ],
)
def test_values_that_cannot_work_are_refused_with_the_fix(
    overrides: dict[str, Any], expected: str
) -> None:
    assert expected in _refusal(overrides)


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"postgresql": {"enabled": True, "password": "p"}}, "instead of enabling postgresql"),
        ({"storage": {"type": "volume"}}, "persistence.existingClaim"),
        (
            {
                "storage": {"type": "volume"},
                "persistence": {"existingClaim": "models", "accessMode": "ReadWriteOnce"},
            },
            "ReadWriteOnce volume attaches to one node",
        ),
    ],
)
def test_inference_only_refuses_what_a_serving_install_cannot_use(
    overrides: dict[str, Any], expected: str
) -> None:
    assert expected in _refusal(overrides, base="inference-only")


def test_a_single_inference_replica_may_read_a_read_write_once_claim() -> None:
    values = _merged(
        profile_values("inference-only"),
        {
            "storage": {"type": "volume"},
            "persistence": {"existingClaim": "models", "accessMode": "ReadWriteOnce"},
            "inference": {"replicas": 1},
        },
    )
    rendered = render(values)
    assert rendered.by_component("Deployment", "inference")["spec"]["replicas"] == 1
