"""The rendered objects fit together: each container gets the settings it needs, every
name one object points at is another rendered object, secrets stay in Secrets, and the
pods run locked down."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import pytest

from chart_render import (
    REPO,
    Manifest,
    Rendered,
    component,
    hook_events,
    pod_metadata,
    pod_spec,
    profile_values,
    profiles,
    render,
)

PROFILES = profiles()
BACKEND_IMAGE_ROLES = {"backend", "worker", "ingestion-worker", "beat"}
STORAGE_USERS = {"backend", "worker", "ingestion-worker", "inference"}
# What every container of the backend image and the inference service reads at start.
SHARED_VARIABLES = {"SECRET_KEY", "DATABASE_URL", "REDIS_URL", "MEDIA_ROOT", "RECOTEM_DATA_DIR"}
BACKEND_VARIABLES = SHARED_VARIABLES | {"ALLOWED_HOSTS", "DEBUG", "NUM_PROXIES"}
# Keys an existing Secret must hold (docs/deployment/kubernetes.md lists them).
EXISTING_SECRET_KEYS = {
    "SECRET_KEY",
    "DATABASE_URL",
    "DEFAULT_ADMIN_PASSWORD",
    "REDIS_PASSWORD",
    "MODEL_SIGNING_KEYS",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "POSTGRES_PASSWORD",
    "INFERENCE_METRICS_TOKEN",
}
# Settings the services read that no value sets, and why.
LEFT_TO_THE_SERVICES = {
    "CELERY_TASK_ALWAYS_EAGER",  # tests only
    "CELERY_BEAT_SCHEDULER",  # always the database scheduler
    "CELERY_WORKER_CONCURRENCY",  # workers.*.concurrency, as a command-line option
    "STATIC_ROOT",  # the image's collected files
    "MODEL_EVENTS_REDIS_URL",  # derived from REDIS_URL, like the other Redis databases
    "INFERENCE_RATE_LIMIT_STORAGE_URL",
}


@pytest.fixture(scope="module", params=PROFILES)
def profile(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def rendered(profile: str) -> Rendered:
    return render(profile_values(profile))


def _main_container(workload: Manifest) -> dict[str, Any]:
    return dict(pod_spec(workload)["containers"][0])


def _full(profile: str) -> bool:
    return profile_values(profile).get("mode", "full") == "full"


def test_full_mode_runs_every_role_and_inference_only_runs_serving_alone(
    rendered: Rendered, profile: str
) -> None:
    deployments = rendered.components("Deployment")
    if _full(profile):
        assert BACKEND_IMAGE_ROLES | {"inference", "proxy"} <= deployments
        assert {"migrate", "bootstrap-admin"} <= rendered.components("Job")
    else:
        assert deployments == {"inference", "proxy"}
        assert rendered.of_kind("Job") == []


def test_each_container_gets_the_variables_it_reads(rendered: Rendered, profile: str) -> None:
    existing_secret = bool(profile_values(profile).get("secrets", {}).get("existingSecret"))
    s3 = profile_values(profile).get("storage", {}).get("type") == "s3"
    for workload in rendered.workloads():
        role = component(workload)
        if role in {"postgresql", "redis", "test", "proxy"}:
            continue
        for container in rendered.containers(workload):
            env = rendered.environment(container)
            needed = SHARED_VARIABLES if role == "inference" else BACKEND_VARIABLES
            if role == "bootstrap-admin" and container["name"] == role:
                needed = needed | {"DEFAULT_ADMIN_USERNAME", "DEFAULT_ADMIN_PASSWORD"}
            if s3:
                needed = needed | {"RECOTEM_STORAGE_TYPE", "AWS_STORAGE_BUCKET_NAME"}
            missing = needed - env.keys()
            assert missing == set(), f"{role}/{container['name']} lacks {sorted(missing)}"
            if not existing_secret:
                empty = sorted(name for name in needed if not env[name])
                assert empty == [], f"{role}/{container['name']} has empty {empty}"
            assert env["DEBUG"] == "false"
            assert str(env["MEDIA_ROOT"]).startswith(f"{env['RECOTEM_DATA_DIR']}/")
            if s3:
                assert env["RECOTEM_STORAGE_TYPE"] == "S3"


def _settings_the_services_read() -> set[str]:
    names: set[str] = set()
    for module in (REPO / "backend" / "recotem" / "recotem" / "settings").glob("*.py"):
        names |= set(re.findall(r'env(?:\.\w+)?\(\s*"([A-Z][A-Z0-9_]+)"', module.read_text()))
    config = (REPO / "inference" / "inference" / "config.py").read_text()
    return names | set(re.findall(r'validation_alias="([A-Z][A-Z0-9_]+)"', config))


def test_every_setting_the_services_read_can_be_set_from_values() -> None:
    read = _settings_the_services_read()
    assert {"SECRET_KEY", "WEBSOCKET_PING_SECONDS", "INFERENCE_MAX_BODY_BYTES"} <= read
    set_somewhere: set[str] = set()
    for profile in PROFILES:
        rendered = render(profile_values(profile))
        for workload in rendered.workloads():
            for container in rendered.containers(workload):
                set_somewhere |= rendered.environment(container).keys()
    assert read - LEFT_TO_THE_SERVICES - set_somewhere == set()


def test_recotem_containers_start_through_the_image_entrypoint(rendered: Rendered) -> None:
    """The entrypoint reads *_FILE secrets and seeds numba's cache with the scoring loops
    the image compiled; a container ``command`` would replace it."""
    for workload in rendered.workloads():
        if component(workload) in {"postgresql", "redis", "test", "proxy"}:
            continue
        for container in rendered.containers(workload):
            assert "command" not in container, f"{component(workload)}/{container['name']}"
            assert container["args"], f"{component(workload)}/{container['name']}"


def test_inference_listens_on_the_port_its_service_targets(rendered: Rendered) -> None:
    inference = rendered.by_component("Deployment", "inference")
    container = _main_container(inference)
    env = rendered.environment(container)
    assert env["INFERENCE_HOST"] == "0.0.0.0"
    assert int(env["INFERENCE_PORT"] or 0) == container["ports"][0]["containerPort"]


def _service_ports(rendered: Rendered) -> dict[str, set[int]]:
    return {
        service["metadata"]["name"]: {port["port"] for port in service["spec"]["ports"]}
        for service in rendered.of_kind("Service")
    }


def test_every_nginx_upstream_is_a_rendered_service(rendered: Rendered, profile: str) -> None:
    proxy = _main_container(rendered.by_component("Deployment", "proxy"))
    env = rendered.environment(proxy)
    upstreams = {
        name: value for name, value in env.items() if name in {"PROXY_BACKEND", "PROXY_INFERENCE"}
    }
    expected = {"PROXY_INFERENCE"} | ({"PROXY_BACKEND"} if _full(profile) else set())
    assert set(upstreams) == expected
    services = _service_ports(rendered)
    for name, upstream in upstreams.items():
        host, _, port = (upstream or "").rpartition(":")
        assert host in services, f"{name} points at {host}, which no Service has"
        assert int(port) in services[host]


def test_proxy_listens_where_its_service_points_and_fits_the_upload_limit(
    rendered: Rendered, profile: str
) -> None:
    deployment = rendered.by_component("Deployment", "proxy")
    env = rendered.environment(_main_container(deployment))
    assert int(env["PROXY_LISTEN"] or 0) == _main_container(deployment)["ports"][0]["containerPort"]
    upload_limit = int(profile_values(profile).get("config", {}).get("maxUploadSize", 536870912))
    body_limit = int((env["PROXY_MAX_BODY_SIZE"] or "").removesuffix("m")) * 1024 * 1024
    assert upload_limit < body_limit <= upload_limit + 2 * 1024 * 1024


def test_database_and_redis_urls_point_at_a_rendered_service_or_the_named_server(
    rendered: Rendered, profile: str
) -> None:
    values = profile_values(profile)
    services = _service_ports(rendered)
    backend_like = rendered.by_component("Deployment", "inference")
    env = rendered.environment(_main_container(backend_like))
    redis = urlsplit(env["REDIS_URL"] or "")
    if values.get("redis", {}).get("enabled"):
        assert redis.hostname in services
        assert redis.port in services[str(redis.hostname)]
    else:
        assert redis.hostname == values["externalRedis"]["host"]
    if env["DATABASE_URL"] is None:
        return  # from an existing Secret
    database = urlsplit(env["DATABASE_URL"])
    assert database.scheme == "postgres"
    if values.get("postgresql", {}).get("enabled"):
        assert database.hostname in services
        assert database.port in services[str(database.hostname)]
    else:
        assert database.hostname == values["externalDatabase"]["host"]


def test_every_referenced_secret_key_exists(rendered: Rendered, profile: str) -> None:
    existing = profile_values(profile).get("secrets", {}).get("existingSecret")
    for workload in rendered.workloads():
        for container in rendered.containers(workload):
            for variable in container.get("env") or []:
                reference = (variable.get("valueFrom") or {}).get("secretKeyRef")
                if reference is None:
                    continue
                data = rendered.secret_data(reference["name"])
                if data is None:
                    assert reference["name"] == existing
                    assert reference["key"] in EXISTING_SECRET_KEYS
                    continue
                assert reference.get("optional") is not True
                assert reference["key"] in data, f"{reference} is not in the Secret"


def test_the_migration_secret_holds_what_the_main_secret_holds(rendered: Rendered) -> None:
    secrets = {s["metadata"]["name"]: s for s in rendered.of_kind("Secret")}
    hooks = [s for s in secrets.values() if hook_events(s)]
    for hook in hooks:
        main = [s for s in secrets.values() if not hook_events(s)]
        assert len(main) == 1
        assert hook["data"] == main[0]["data"]


SECRET_NAME = re.compile(r"PASSWORD|SECRET|PRIVATE|CREDENTIAL|TOKEN$|_KEY$|_KEYS$|^DATABASE_URL$")


def test_nothing_secret_sits_in_a_config_map(rendered: Rendered, profile: str) -> None:
    secret_values = {
        value
        for secret in rendered.of_kind("Secret")
        for value in (rendered.secret_data(secret["metadata"]["name"]) or {}).values()
        if value
    }
    for config_map in rendered.of_kind("ConfigMap"):
        for key, value in (config_map.get("data") or {}).items():
            assert not SECRET_NAME.search(key), f"{key} belongs in a Secret"
            assert not any(secret in value for secret in secret_values), key
    inline = [
        variable["name"]
        for workload in rendered.workloads()
        for container in rendered.containers(workload)
        for variable in container.get("env") or []
        if "value" in variable and SECRET_NAME.search(variable["name"])
    ]
    assert inline == []


STANDARD_LABELS = {
    "app.kubernetes.io/name",
    "app.kubernetes.io/instance",
    "app.kubernetes.io/version",
    "app.kubernetes.io/managed-by",
    "app.kubernetes.io/component",
    "helm.sh/chart",
}


def test_labels_follow_the_kubernetes_recommendations(rendered: Rendered) -> None:
    for manifest in rendered.manifests:
        labels = manifest["metadata"].get("labels") or {}
        missing = STANDARD_LABELS - labels.keys()
        assert missing == set(), f"{manifest['kind']}/{manifest['metadata']['name']}: {missing}"
        assert labels["app.kubernetes.io/managed-by"] == "Helm"
        assert labels["app.kubernetes.io/instance"] == "recotem"
    for workload in rendered.of_kind("Deployment", "StatefulSet"):
        selector = workload["spec"]["selector"]["matchLabels"]
        pod_labels = pod_metadata(workload)["labels"]
        assert selector.items() <= pod_labels.items()
        assert {"app.kubernetes.io/name", "app.kubernetes.io/instance"} <= selector.keys()
    for service in rendered.of_kind("Service"):
        selected = [
            w
            for w in rendered.of_kind("Deployment", "StatefulSet")
            if service["spec"]["selector"].items() <= pod_metadata(w)["labels"].items()
        ]
        assert len(selected) == 1, service["metadata"]["name"]


def test_pods_run_locked_down(rendered: Rendered) -> None:
    for workload in rendered.workloads():
        spec = pod_spec(workload)
        name = f"{workload['kind']}/{workload['metadata']['name']}"
        assert spec["automountServiceAccountToken"] is False, name
        assert spec["securityContext"]["runAsNonRoot"] is True, name
        assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, name
        volumes = {volume["name"] for volume in spec.get("volumes") or []} | {
            claim["metadata"]["name"]
            for claim in workload["spec"].get("volumeClaimTemplates") or []
        }
        for container in rendered.containers(workload):
            context = container["securityContext"]
            assert context["readOnlyRootFilesystem"] is True, name
            assert context["allowPrivilegeEscalation"] is False, name
            assert context["capabilities"]["drop"] == ["ALL"], name
            mounted = {mount["name"] for mount in container.get("volumeMounts") or []}
            assert mounted <= volumes, name
            if component(workload) not in {"postgresql", "redis"}:
                # Python, uvicorn's metrics and uploads need a writable scratch directory.
                mounts = {m["mountPath"] for m in container.get("volumeMounts") or []}
                assert "/tmp" in mounts, name
    for account in rendered.of_kind("ServiceAccount"):
        assert account["automountServiceAccountToken"] is False


def test_shared_files_live_on_one_claim_or_in_s3(rendered: Rendered, profile: str) -> None:
    s3 = profile_values(profile).get("storage", {}).get("type") == "s3"
    claims = set()
    for workload in rendered.of_kind("Deployment"):
        if component(workload) not in STORAGE_USERS:
            continue
        data = next(v for v in pod_spec(workload)["volumes"] if v["name"] == "data")
        claims.add((data.get("persistentVolumeClaim") or {}).get("claimName"))
        mount = next(m for m in _main_container(workload)["volumeMounts"] if m["name"] == "data")
        assert mount["mountPath"] == "/data"
        assert bool(mount.get("readOnly")) == (component(workload) == "inference")
    if s3:
        assert claims == {None}
        assert rendered.of_kind("PersistentVolumeClaim") == []
    else:
        assert len(claims) == 1
        assert None not in claims


def test_colocated_read_write_once_claim_pins_every_user_to_one_node() -> None:
    rendered = render(profile_values("evaluation"))
    (claim,) = rendered.of_kind("PersistentVolumeClaim")
    assert claim["spec"]["accessModes"] == ["ReadWriteOnce"]
    for workload in rendered.of_kind("Deployment"):
        if component(workload) not in STORAGE_USERS:
            continue
        terms = pod_spec(workload)["affinity"]["podAffinity"][
            "requiredDuringSchedulingIgnoredDuringExecution"
        ]
        assert terms[0]["topologyKey"] == "kubernetes.io/hostname"
        assert terms[0]["labelSelector"]["matchLabels"].items() <= (
            pod_metadata(workload)["labels"].items()
        )


def test_http_probes_use_a_host_the_backend_allows(rendered: Rendered, profile: str) -> None:
    for role in ("backend", "inference", "proxy") if _full(profile) else ("inference", "proxy"):
        container = _main_container(rendered.by_component("Deployment", role))
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            assert probe in container, f"{role} has no {probe}"
    backend = (
        _main_container(rendered.by_component("Deployment", "backend")) if _full(profile) else None
    )
    if backend is None:
        return
    allowed = set((rendered.environment(backend)["ALLOWED_HOSTS"] or "").split(","))
    for probe in ("startupProbe", "readinessProbe"):
        headers = {h["name"]: h["value"] for h in backend[probe]["httpGet"]["httpHeaders"]}
        assert headers["Host"] in allowed


def test_inference_probes_need_no_metrics_token(rendered: Rendered) -> None:
    """/metrics needs a bearer token, so liveness and startup probe the anonymous /livez."""
    inference = _main_container(rendered.by_component("Deployment", "inference"))
    paths = {
        probe: inference[probe]["httpGet"]["path"]
        for probe in ("startupProbe", "livenessProbe", "readinessProbe")
    }
    assert paths == {
        "startupProbe": "/livez",
        "livenessProbe": "/livez",
        "readinessProbe": "/health",
    }


def test_beat_is_one_replica_replaced_by_recreate(rendered: Rendered, profile: str) -> None:
    if not _full(profile):
        return
    beat = rendered.by_component("Deployment", "beat")
    assert beat["spec"]["replicas"] == 1
    assert beat["spec"]["strategy"] == {"type": "Recreate"}
    targets = {
        m["spec"].get("scaleTargetRef", {}).get("name")
        for m in rendered.of_kind("HorizontalPodAutoscaler")
    }
    assert beat["metadata"]["name"] not in targets
    assert "beat" not in rendered.components("PodDisruptionBudget")


def _minimum_replicas(rendered: Rendered, deployment: Manifest) -> int:
    for autoscaler in rendered.of_kind("HorizontalPodAutoscaler"):
        if autoscaler["spec"]["scaleTargetRef"]["name"] == deployment["metadata"]["name"]:
            return int(autoscaler["spec"]["minReplicas"])
    return int(deployment["spec"]["replicas"])


def test_disruption_budgets_exist_only_where_a_drain_can_proceed(rendered: Rendered) -> None:
    budgets = {component(b): b for b in rendered.of_kind("PodDisruptionBudget")}
    for deployment in rendered.of_kind("Deployment"):
        role = component(deployment)
        minimum = _minimum_replicas(rendered, deployment)
        if role in budgets:
            assert minimum >= 2, f"{role} has a budget with {minimum} replica"
            assert budgets[role]["spec"]["maxUnavailable"] == 1
        elif role not in {"beat", "redis"}:
            assert minimum < 2, f"{role} runs {minimum} replicas without a budget"


def test_production_autoscales_inference_backend_and_worker_from_three_inference_pods() -> None:
    rendered = render(profile_values("production"))
    scaled = {
        component(m): m["spec"]["minReplicas"] for m in rendered.of_kind("HorizontalPodAutoscaler")
    }
    assert {"inference", "backend", "worker"} <= scaled.keys()
    assert scaled["inference"] == 3
    for role in scaled:
        assert "replicas" not in rendered.by_component("Deployment", role)["spec"]


def test_config_and_secret_changes_roll_the_pods() -> None:
    values = profile_values("default")
    before = render(values)
    changed_config = render({**values, "config": {"logging": {"level": "DEBUG"}}})
    changed_secret = render({**values, "secrets": {**values["secrets"], "adminPassword": "x" * 20}})
    for deployment in before.of_kind("Deployment"):
        if component(deployment) == "proxy":
            continue
        name = deployment["metadata"]["name"]
        original = pod_metadata(deployment)["annotations"]
        config = pod_metadata(changed_config.get("Deployment", name) or {})["annotations"]
        secret = pod_metadata(changed_secret.get("Deployment", name) or {})["annotations"]
        assert original["checksum/config"] != config["checksum/config"], name
        assert original["checksum/secret"] != secret["checksum/secret"], name
    proxy = before.by_component("Deployment", "proxy")
    rerouted = render({**values, "fullnameOverride": "other"}).by_component("Deployment", "proxy")
    assert (
        pod_metadata(proxy)["annotations"]["checksum/config"]
        != pod_metadata(rerouted)["annotations"]["checksum/config"]
    )


def test_migrations_run_once_in_a_hook_job_and_never_in_pods(
    rendered: Rendered, profile: str
) -> None:
    if not _full(profile):
        return
    migrate = rendered.by_component("Job", "migrate")
    evaluation = profile_values(profile).get("postgresql", {}).get("enabled")
    expected = {"post-install" if evaluation else "pre-install", "pre-upgrade"}
    assert hook_events(migrate) == expected
    for workload in rendered.workloads():
        for container in rendered.containers(workload):
            command = " ".join([*container.get("command", []), *container.get("args", [])])
            if " migrate" in command and workload is not migrate:
                assert "--check" in command, f"{workload['metadata']['name']} migrates"
    bootstrap = rendered.by_component("Job", "bootstrap-admin")
    assert hook_events(bootstrap) == {"post-install", "post-upgrade"}
    # Objects a pre-install hook uses must exist before the release's own objects do.
    if "pre-install" in expected:
        spec = pod_spec(migrate)
        account = rendered.get("ServiceAccount", spec["serviceAccountName"])
        assert account is not None
        assert hook_events(account) == expected
        assert "envFrom" not in spec["containers"][0]
        for variable in spec["containers"][0]["env"]:
            reference = (variable.get("valueFrom") or {}).get("secretKeyRef")
            secret = reference and rendered.get("Secret", reference["name"])
            if secret:
                assert hook_events(secret) == expected


def test_helm_test_logs_in_through_the_proxy_service(rendered: Rendered, profile: str) -> None:
    (test_pod,) = rendered.of_kind("Pod")
    assert hook_events(test_pod) == {"test"}
    env = rendered.environment(_main_container(test_pod))
    url = urlsplit(env["PROXY_URL"] or "")
    services = _service_ports(rendered)
    proxy_service = rendered.by_component("Service", "proxy")
    assert url.hostname == proxy_service["metadata"]["name"]
    assert url.port in services[str(url.hostname)]
    script = "\n".join(_main_container(test_pod)["args"])
    if _full(profile):
        assert "/api/auth/login/" in script
        assert env.keys() >= {"ADMIN_USERNAME", "ADMIN_PASSWORD"}
    else:
        assert "/inference/health" in script


def test_the_proxy_holds_the_admin_static_files_it_serves(rendered: Rendered, profile: str) -> None:
    """nginx.conf serves /static/ from PROXY_STATIC_ROOT (default /app/dist/static); the
    files are collected into the backend image, so the proxy pod copies them first."""
    if not _full(profile):
        return
    proxy = rendered.by_component("Deployment", "proxy")
    spec = pod_spec(proxy)
    mounts = {m["mountPath"]: m["name"] for m in _main_container(proxy)["volumeMounts"]}
    assert "PROXY_STATIC_ROOT" not in rendered.environment(_main_container(proxy))
    volume = mounts["/app/dist/static"]
    (copy,) = [
        init
        for init in spec["initContainers"]
        if any(m["name"] == volume for m in init.get("volumeMounts") or [])
    ]
    assert copy["image"] == _main_container(rendered.by_component("Deployment", "backend"))["image"]
    assert copy["command"][-2:] == ["/app/dist/static/.", "/static/"]
