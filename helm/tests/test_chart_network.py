"""NetworkPolicies: everything is denied, then exactly the architecture's paths are open."""

from __future__ import annotations

from typing import Any

import pytest

from chart_render import Manifest, Rendered, component, profile_values, profiles, render

Path = tuple[str, str]

# The paths of the architecture (seed 000): clients reach the proxy, the proxy reaches the
# backend and inference, the backend, workers and inference reach PostgreSQL and Redis.
# Beat keeps its schedule in PostgreSQL; the migration and bootstrap Jobs reach the
# database only; the chart test reaches the proxy.
FULL_PATHS: set[Path] = {
    ("clients", "proxy"),
    ("proxy", "backend"),
    ("proxy", "inference"),
    *{
        (role, target)
        for role in ("backend", "worker", "ingestion-worker", "beat", "inference")
        for target in ("database", "redis")
    },
    ("migrate", "database"),
    ("bootstrap-admin", "database"),
    ("test", "proxy"),
}
INFERENCE_ONLY_PATHS: set[Path] = {
    ("clients", "proxy"),
    ("proxy", "inference"),
    ("inference", "database"),
    ("inference", "redis"),
    ("test", "proxy"),
}
S3_USERS = {"backend", "worker", "ingestion-worker", "inference"}


def _target(rule: dict[str, Any], values: dict[str, Any]) -> str:
    """Names what an egress rule opens: a component of the release, an external server
    (recognised by its port), or DNS."""
    peers = rule.get("to") or []
    for peer in peers:
        labels = (peer.get("podSelector") or {}).get("matchLabels") or {}
        if labels.get("k8s-app") == "kube-dns":
            return "dns"
        if "app.kubernetes.io/component" in labels:
            role = str(labels["app.kubernetes.io/component"])
            return {"postgresql": "database"}.get(role, role)
    ports = {port["port"] for port in rule["ports"]}
    external = {
        values.get("externalDatabase", {}).get("port", 5432): "database",
        values.get("externalRedis", {}).get("port", 6379): "redis",
        443: "s3",
    }
    (port,) = ports
    return external[port]


def _open_paths(rendered: Rendered, values: dict[str, Any]) -> set[Path]:
    paths: set[Path] = set()
    for policy in rendered.of_kind("NetworkPolicy"):
        role = component(policy)
        if role == "default-deny":
            continue
        for rule in policy["spec"].get("egress") or []:
            target = _target(rule, values)
            if target != "dns":
                paths.add((role, target))
        target = {"postgresql": "database"}.get(role, role)
        for rule in policy["spec"].get("ingress") or []:
            sources = {
                str(peer["podSelector"]["matchLabels"]["app.kubernetes.io/component"])
                for peer in rule.get("from") or []
                if "app.kubernetes.io/component"
                in (peer.get("podSelector") or {}).get("matchLabels", {})
            }
            paths |= {(source, target) for source in sources or {"clients"}}
    return paths


@pytest.mark.parametrize("profile", profiles())
def test_network_paths_are_exactly_the_architecture(profile: str) -> None:
    values = profile_values(profile)
    rendered = render(values)
    expected = set(FULL_PATHS if values.get("mode", "full") == "full" else INFERENCE_ONLY_PATHS)
    if values.get("storage", {}).get("type") == "s3":
        expected |= {(role, "s3") for role, _ in expected if role in S3_USERS}
    assert _open_paths(rendered, values) == expected


def _policy(rendered: Rendered, role: str) -> Manifest:
    return rendered.by_component("NetworkPolicy", role)


@pytest.mark.parametrize("profile", profiles())
def test_everything_else_is_denied_and_every_pod_may_resolve_names(profile: str) -> None:
    rendered = render(profile_values(profile))
    deny = _policy(rendered, "default-deny")
    assert deny["spec"]["policyTypes"] == ["Ingress", "Egress"]
    assert "ingress" not in deny["spec"]
    assert "egress" not in deny["spec"]
    selector = deny["spec"]["podSelector"]["matchLabels"]
    for workload in rendered.workloads():
        labels = (
            workload.get("spec", {}).get("template", {}).get("metadata") or workload["metadata"]
        )["labels"]
        assert selector.items() <= labels.items()
        role = component(workload)
        policy = _policy(rendered, role)
        dns = policy["spec"]["egress"][0]
        assert {(p["port"], p["protocol"]) for p in dns["ports"]} == {(53, "UDP"), (53, "TCP")}


def test_in_release_servers_accept_only_their_clients() -> None:
    rendered = render(profile_values("evaluation"))
    for server, port in (("postgresql", 5432), ("redis", 6379)):
        (rule,) = _policy(rendered, server)["spec"]["ingress"]
        clients = {
            peer["podSelector"]["matchLabels"]["app.kubernetes.io/component"]
            for peer in rule["from"]
        }
        target = "database" if server == "postgresql" else "redis"
        assert clients == {role for role, goes_to in FULL_PATHS if goes_to == target}
        assert rule["ports"] == [{"port": port, "protocol": "TCP"}]
    backend = _policy(rendered, "backend")["spec"]["ingress"]
    assert backend == [
        {
            "from": [
                {
                    "podSelector": {
                        "matchLabels": {
                            "app.kubernetes.io/name": "recotem",
                            "app.kubernetes.io/instance": "recotem",
                            "app.kubernetes.io/component": "proxy",
                        }
                    }
                }
            ],
            "ports": [{"port": 8080, "protocol": "TCP"}],
        }
    ]


def test_external_servers_are_reached_only_at_the_peers_the_values_name() -> None:
    values = profile_values("production")
    rendered = render(values)
    egress = _policy(rendered, "backend")["spec"]["egress"]
    database = next(rule for rule in egress if rule["ports"][0]["port"] == 5432)
    assert database["to"] == values["externalDatabase"]["networkPolicyPeers"]
    redis = next(rule for rule in egress if rule["ports"][0]["port"] == 6379)
    assert redis["to"] == values["externalRedis"]["networkPolicyPeers"]
    proxy_ingress = _policy(rendered, "proxy")["spec"]["ingress"]
    assert proxy_ingress[0]["from"] == values["networkPolicy"]["proxyFrom"]


def test_s3_port_follows_the_endpoint() -> None:
    values = profile_values("production")
    values["storage"]["s3"]["endpointUrl"] = "http://minio.storage.svc:9000"
    rendered = render(values)
    ports = {rule["ports"][0]["port"] for rule in _policy(rendered, "worker")["spec"]["egress"]}
    assert 9000 in ports
    assert 443 not in ports
