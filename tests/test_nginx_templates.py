"""One set of routing rules: the proxy image and `make run` render the same templates alike."""

from __future__ import annotations

import filecmp
import shutil
import subprocess
from pathlib import Path

import pytest

import devproxy
from support import require_nginx

REPO = Path(__file__).resolve().parents[1]
DEFAULTS_SCRIPT = REPO / "nginx" / "15-proxy-defaults.envsh"
# What the nginx image's entrypoint does: source *.envsh, then envsubst every template
# with the variables the environment defines (filtered as proxy.dockerfile filters them).
IMAGE_ENTRYPOINT = """
set -e
. "$1"
names=$(awk 'END { for (name in ENVIRON) if (name ~ /^PROXY_/) print name }' </dev/null)
defined=$(printf '${%s} ' $names)
cd "$NGINX_ENVSUBST_TEMPLATE_DIR"
find . -type f -name '*.template' | while read -r template; do
    output="$NGINX_ENVSUBST_OUTPUT_DIR/${template%.template}"
    mkdir -p "$(dirname "$output")"
    envsubst "$defined" < "$template" > "$output"
done
"""


def render_like_the_image(tmp_path: Path, environ: dict[str, str]) -> Path:
    templates, output = tmp_path / "templates", tmp_path / "image"
    for path in devproxy.template_paths():
        target = templates / f"{path.relative_to(REPO)}.template"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target)
    env = {
        "PATH": "/usr/bin:/bin",
        "NGINX_ENVSUBST_TEMPLATE_DIR": str(templates),
        "NGINX_ENVSUBST_OUTPUT_DIR": str(output),
        **environ,
    }
    subprocess.run(["sh", "-c", IMAGE_ENTRYPOINT, "sh", str(DEFAULTS_SCRIPT)], env=env, check=True)
    return output


@pytest.mark.parametrize(
    "environ",
    [
        {},
        {"PROXY_BACKEND": "10.1.2.3:9000", "PROXY_LOGIN_RATE": "20r/m", "PROXY_HSTS": ""},
    ],
    ids=["defaults", "overridden"],
)
def test_the_image_and_make_run_render_identical_files(
    tmp_path: Path, environ: dict[str, str]
) -> None:
    image = render_like_the_image(tmp_path, environ)
    devproxy.render_templates(tmp_path / "devproxy", environ)
    rendered = sorted(p.relative_to(image) for p in image.rglob("*.conf"))
    assert rendered == sorted(p.relative_to(REPO) for p in devproxy.template_paths())
    mismatch = filecmp.cmpfiles(image, tmp_path / "devproxy", [str(p) for p in rendered])[1:]
    assert mismatch == ([], [])
    assert "${" not in (image / "nginx.conf").read_text()


def test_every_placeholder_has_a_declared_default(tmp_path: Path) -> None:
    devproxy.render_templates(tmp_path, {})
    for rendered in tmp_path.rglob("*.conf"):
        assert "$PROXY_" not in rendered.read_text()
        assert "${PROXY_" not in rendered.read_text()


def test_the_default_limits_are_the_architecture_s() -> None:
    defaults = devproxy.template_defaults()
    assert (defaults["PROXY_API_RATE"], defaults["PROXY_API_BURST"]) == ("30r/s", "20")
    assert (defaults["PROXY_LOGIN_RATE"], defaults["PROXY_LOGIN_BURST"]) == ("5r/m", "3")
    assert (defaults["PROXY_INFERENCE_RATE"], defaults["PROXY_INFERENCE_BURST"]) == ("30r/s", "50")


def test_the_default_body_limit_sits_just_above_the_backend_upload_limit() -> None:
    """The backend answers an oversized upload itself (with its limit in the message)."""
    documented = (REPO / "envs" / "production.env.example").read_text()
    upload_limit = int(documented.split("\nMAX_UPLOAD_SIZE=")[1].split()[0])
    backend_allowance = 64 * 1024  # backend/recotem/core/limits.py MULTIPART_ALLOWANCE
    body_limit = int(devproxy.template_defaults()["PROXY_MAX_BODY_SIZE"].removesuffix("m"))
    assert upload_limit + backend_allowance < body_limit * 1024**2 <= upload_limit + 2 * 1024**2


def loopback_proxy(tmp_path: Path) -> devproxy.LoopbackProxy:
    return devproxy.LoopbackProxy(
        host="127.0.4.2",
        port=1,
        backend="127.0.4.3:1",
        inference="127.0.4.3:2",
        spa_root=tmp_path,
        static_root=tmp_path,
        runtime_dir=tmp_path / "nginx",
    )


@pytest.mark.parametrize("config", ["nginx.conf", "nginx-inference.conf"])
def test_both_configurations_pass_nginx_s_own_check(tmp_path: Path, config: str) -> None:
    command = loopback_proxy(tmp_path).command(require_nginx(), {}, config=config)
    checked = subprocess.run([*command, "-t"], capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stderr


def test_make_run_sizes_the_body_limit_from_the_backend_upload_limit(tmp_path: Path) -> None:
    proxy = loopback_proxy(tmp_path)
    proxy.render(require_nginx(), {"MAX_UPLOAD_SIZE": str(8 * 1024**2)})
    assert f"client_max_body_size {9 * 1024**2};" in (proxy.conf_dir / "nginx.conf").read_text()
