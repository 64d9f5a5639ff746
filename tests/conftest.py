from __future__ import annotations

import gzip
from collections.abc import Iterator, Mapping
from contextlib import ExitStack
from pathlib import Path

import pytest

from support import RunningProxy, StartProxy, Upstream, running_proxy, write_spa


@pytest.fixture(scope="module")
def upstream() -> Iterator[Upstream]:
    with Upstream().running() as server:
        yield server


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A built SPA and the admin's collected static files, as the proxy finds them."""
    workdir = tmp_path_factory.mktemp("site")
    write_spa(workdir / "dist")
    css = workdir / "static" / "admin" / "css" / "base.css"
    css.parent.mkdir(parents=True)
    css.write_text("html { color: #333; }\n" * 100)
    # collectstatic with whitenoise's storage writes a compressed copy beside each file.
    css.with_name("base.css.gz").write_bytes(gzip.compress(css.read_bytes()))
    return workdir


@pytest.fixture(scope="module")
def start_proxy(
    site: Path, upstream: Upstream, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[StartProxy]:
    """Starts nginx for the module's tests, in front of the recording upstream by default."""
    with ExitStack() as stack:

        def start(
            environ: Mapping[str, str] | None = None,
            config: str = "nginx.conf",
            upstream_address: str | None = None,
        ) -> RunningProxy:
            runtime = tmp_path_factory.mktemp("nginx")
            address = upstream_address or upstream.address
            return stack.enter_context(running_proxy(site, runtime, address, environ, config))

        yield start


@pytest.fixture(scope="module")
def proxy(start_proxy: StartProxy) -> RunningProxy:
    """The full-stack proxy with its default rules."""
    return start_proxy()
