"""Build the release's artifacts: the packaged Helm chart and the compose bundle.

``make release-artifacts VERSION=1.2.3 REGISTRY=ghcr.io/owner`` writes into ``dist/``:

- ``recotem-<version>.tgz``: the chart, its version and appVersion set to the release and
  its images pointing at the registry the release published them to;
- ``recotem-compose-<version>.tar.gz``: the compose files with every ``build:`` replaced by
  the published image of that version, and the env examples, so ``docker compose up``
  runs without a checkout or a build.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any

import helm_python as helm
import yaml

REPO = Path(__file__).resolve().parents[1]
CHART_DIR = REPO / "helm" / "recotem"
COMPOSE_FILES = ("compose.yaml", "compose-inference.yaml")
REGISTRY_LINE = re.compile(r"^(  registry: ).*$", re.MULTILINE)


def package_chart(version: str, registry: str, out: Path) -> Path:
    with tempfile.TemporaryDirectory() as scratch:
        chart = Path(scratch) / "recotem"
        shutil.copytree(CHART_DIR, chart)
        values = chart / "values.yaml"
        text, replaced = REGISTRY_LINE.subn(rf"\g<1>{registry}", values.read_text(), count=1)
        if replaced != 1:
            raise SystemExit("values.yaml has no images.registry line to point at the registry")
        values.write_text(text)
        return Path(helm.package(chart, destination=out, version=version, app_version=version))


def published_compose(compose: dict[str, Any], version: str, registry: str) -> dict[str, Any]:
    """The compose document with each built service running the published image instead."""
    services = compose.get("services") or {}
    for name, service in services.items():
        if "build" not in service:
            continue
        image = service.get("image")
        if not image:
            raise SystemExit(f"service {name!r} is built but names no image to publish")
        repository = image.rsplit("/", 1)[-1].split("@", 1)[0].split(":", 1)[0]
        service["image"] = f"{registry}/{repository}:{version}"
        del service["build"]
    return compose


def bundle_compose(version: str, registry: str, out: Path, repo: Path = REPO) -> Path:
    name = f"recotem-compose-{version}"
    with tempfile.TemporaryDirectory() as scratch:
        bundle = Path(scratch) / name
        (bundle / "envs").mkdir(parents=True)
        for file in COMPOSE_FILES:
            source = repo / file
            if not source.exists():
                raise SystemExit(f"{file} is missing; the bundle needs it")
            document = published_compose(yaml.safe_load(source.read_text()), version, registry)
            (bundle / file).write_text(yaml.safe_dump(document, sort_keys=False))
        for example in sorted((repo / "envs").glob("*.example")):
            shutil.copy2(example, bundle / "envs" / example.name)
        archive = out / f"{name}.tar.gz"
        with tarfile.open(archive, "w:gz") as tar:
            tar.add(bundle, arcname=name)
    return archive


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--version", required=True, help="release version, e.g. 1.2.3")
    parser.add_argument("--registry", required=True, help="e.g. ghcr.io/owner")
    parser.add_argument("--out", type=Path, default=REPO / "dist")
    parser.add_argument("--only", choices=["chart", "compose"])
    args = parser.parse_args()
    if not re.fullmatch(r"[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?", args.version):
        parser.error(f"--version {args.version!r} is not a semantic version such as 1.2.3")
    args.out.mkdir(parents=True, exist_ok=True)
    registry = args.registry.rstrip("/")
    if args.only in (None, "chart"):
        print(package_chart(args.version, registry, args.out))
    if args.only in (None, "compose"):
        print(bundle_compose(args.version, registry, args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
