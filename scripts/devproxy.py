"""``make run``'s proxy: nginx from the deployment's own templates, and the SPA it serves.

The templates (``nginx.conf``, ``nginx-inference.conf`` and ``nginx/*.conf``) hold
``PROXY_`` placeholders written as shell variables, and declare a default for each on a
``# default NAME=value`` line. The proxy image fills them with ``envsubst`` at start (after
``nginx/15-proxy-defaults.envsh`` exports the defaults); this module fills them the same
way for loopback, so the routing rules exist once.
"""

from __future__ import annotations

import grp
import hashlib
import os
import pwd
import re
import shutil
import subprocess
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FRONTEND = REPO / "frontend"
MIN_NODE_MAJOR = 20
MULTIPART_MARGIN_BYTES = 1024 * 1024

_DEFAULT_LINE = re.compile(r"^# default (PROXY_[A-Z0-9_]+)=(.*)$", re.MULTILINE)
# What envsubst replaces: $NAME and ${NAME}, limited to the proxy's own variables.
_PLACEHOLDER = re.compile(r"\$(?:\{(PROXY_[A-Za-z0-9_]+)\}|(PROXY_[A-Za-z0-9_]+))")
# Directories under frontend/ that hold outputs or caches rather than sources.
_NOT_SOURCES = {"node_modules", "dist", "coverage", "test-results", "playwright-report"}

NGINX_MISSING = (
    "nginx was not found, so the web UI and the proxy on :8000 are not started (the API "
    "still is). Install it and run `make run` again:\n"
    "  Debian/Ubuntu: sudo apt-get install nginx    Fedora: sudo dnf install nginx    "
    "macOS: brew install nginx"
)


def node_missing(found: str | None) -> str:
    return (
        f"Node.js {MIN_NODE_MAJOR} or newer is needed to build the web UI "
        f"({'found ' + found if found else 'node was not found'}). Install it from "
        "https://nodejs.org/ (Debian 13 or Ubuntu 24.04: sudo apt-get install nodejs npm) "
        "and run `make run` again."
    )


def template_paths() -> list[Path]:
    return [REPO / "nginx.conf", REPO / "nginx-inference.conf", *sorted(REPO.glob("nginx/*.conf"))]


def template_defaults() -> dict[str, str]:
    """Every variable the templates declare, with its default."""
    defaults: dict[str, str] = {}
    for path in template_paths():
        for name, value in _DEFAULT_LINE.findall(path.read_text()):
            if defaults.get(name, value) != value:
                raise ValueError(f"{name} has two different defaults ({path.name})")
            defaults[name] = value
    return defaults


def render_templates(target: Path, settings: Mapping[str, str]) -> None:
    """Fill every template into ``target``, keeping nginx/ beside the main files.

    ``settings`` overrides the declared defaults. A placeholder without a declared
    default is an error.
    """
    values = {**template_defaults(), **settings}

    def fill(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        if name not in values:
            raise KeyError(f"{name} is used by a template but has no '# default' line")
        return values[name]

    for path in template_paths():
        rendered = target / path.relative_to(REPO)
        rendered.parent.mkdir(parents=True, exist_ok=True)
        rendered.write_text(_PLACEHOLDER.sub(fill, path.read_text()))


def find_nginx() -> str | None:
    """``NGINX_BIN`` when set (another build, or a path that does not exist to go without)."""
    chosen = os.environ.get("NGINX_BIN")
    if chosen:
        return shutil.which(chosen)
    # Distributions install nginx in sbin, which a normal user's PATH often omits.
    search = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/usr/local/sbin"])
    return shutil.which("nginx", path=search)


def mime_types_path(nginx: str) -> str:
    """The mime.types next to this nginx's compiled-in configuration, when it has one."""
    version = subprocess.run([nginx, "-V"], capture_output=True, text=True, check=False)
    match = re.search(r"--conf-path=(\S+)", version.stderr)
    if match:
        candidate = Path(match.group(1)).parent / "mime.types"
        if candidate.exists():
            return str(candidate)
    return template_defaults()["PROXY_MIME_TYPES"]


def nginx_command(nginx: str, conf_file: Path, error_log: Path) -> list[str]:
    directives = "daemon off;"
    if os.geteuid() == 0:
        # Started by root, nginx would hand its workers to "nobody", who may not read the
        # checkout; they run as the same user as every other role instead.
        user = pwd.getpwuid(os.geteuid()).pw_name
        group = grp.getgrgid(os.getegid()).gr_name
        directives += f" user {user} {group};"
    return [nginx, "-e", str(error_log), "-c", str(conf_file), "-g", directives]


@dataclass(frozen=True)
class LoopbackProxy:
    """Where ``make run``'s nginx listens and what it serves."""

    host: str
    port: int
    backend: str
    inference: str
    spa_root: Path
    static_root: Path
    runtime_dir: Path

    @property
    def conf_dir(self) -> Path:
        return self.runtime_dir / "conf"

    def render(self, nginx: str, environ: Mapping[str, str]) -> None:
        """Render the templates under the runtime directory; PROXY_* in ``environ`` win."""
        settings = {
            "PROXY_LISTEN": f"{self.host}:{self.port}",
            "PROXY_BACKEND": self.backend,
            "PROXY_INFERENCE": self.inference,
            "PROXY_SPA_ROOT": str(self.spa_root),
            "PROXY_STATIC_ROOT": str(self.static_root),
            "PROXY_RUNTIME_DIR": str(self.runtime_dir),
            "PROXY_ACCESS_LOG": str(self.access_log),
            "PROXY_ERROR_LOG": str(self.error_log),
            "PROXY_WORKER_PROCESSES": "1",
            "PROXY_MIME_TYPES": mime_types_path(nginx),
        }
        upload_limit = environ.get("MAX_UPLOAD_SIZE", "")
        if upload_limit.isdigit():
            settings["PROXY_MAX_BODY_SIZE"] = str(int(upload_limit) + MULTIPART_MARGIN_BYTES)
        settings.update({k: v for k, v in environ.items() if k.startswith("PROXY_")})
        self.runtime_dir.mkdir(parents=True, exist_ok=True)
        render_templates(self.conf_dir, settings)

    @property
    def access_log(self) -> Path:
        return self.runtime_dir / "access.log"

    @property
    def error_log(self) -> Path:
        return self.runtime_dir / "error.log"

    def command(
        self, nginx: str, environ: Mapping[str, str], config: str = "nginx.conf"
    ) -> list[str]:
        """nginx in the foreground with ``config`` (nginx.conf or nginx-inference.conf)."""
        self.render(nginx, environ)
        return nginx_command(nginx, self.conf_dir / config, self.error_log)

    def error_log_tail(self, lines: int = 20) -> str:
        if not self.error_log.exists():
            return ""
        tail = self.error_log.read_text(errors="replace").splitlines()[-lines:]
        return "\n".join([f"nginx's last words ({self.error_log}):", *tail])


# --- The SPA ----------------------------------------------------------------------------


def _node_version() -> tuple[int, str] | None:
    node = shutil.which("node")
    if node is None or shutil.which("npm") is None:
        return None
    found = subprocess.run([node, "--version"], capture_output=True, text=True, check=False)
    text = found.stdout.strip()
    match = re.match(r"v(\d+)\.", text)
    return (int(match.group(1)), text) if match else None


def _source_files(frontend: Path) -> Iterator[Path]:
    for directory, subdirectories, files in os.walk(frontend):
        subdirectories[:] = sorted(
            d for d in subdirectories if d not in _NOT_SOURCES and not d.startswith(".")
        )
        for name in sorted(files):
            yield Path(directory) / name


def sources_digest(frontend: Path) -> str:
    """A hash of every source file's path and content: a build is stale when it changes."""
    digest = hashlib.sha256()
    for path in _source_files(frontend):
        digest.update(str(path.relative_to(frontend)).encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _stamp(frontend: Path, name: str) -> Path:
    # Inside node_modules: removing it forgets the stamps together with the packages.
    return frontend / "node_modules" / f".recotem-{name}.sha256"


def _fresh(stamp: Path, digest: str) -> bool:
    return stamp.exists() and stamp.read_text() == digest


def _write_stamp(stamp: Path, digest: str) -> None:
    stamp.parent.mkdir(exist_ok=True)  # npm creates no node_modules for a project without packages
    stamp.write_text(digest)


def _placeholder(directory: Path, reason: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "index.html").write_text(
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        "<title>Recotem</title></head><body><h1>The web UI is not available</h1>"
        f'<p>{reason}</p><p>The API is at <a href="/api/v1/">/api/v1/</a> '
        '(reference at <a href="/api/v1/schema/swagger-ui/">/api/v1/schema/swagger-ui/</a>).</p>'
        "</body></html>\n"
    )
    return directory


def prepare_spa(frontend: Path, placeholder_dir: Path) -> Path:
    """The directory to serve at /: ``frontend/dist``, installed and built only when stale.

    ``npm ci`` runs when node_modules is missing or was installed from another lockfile,
    ``npm run build`` when a source file changed since the last build. Without Node.js a
    previous build is served as it is; with no build at all, a page that says what to
    install.
    """
    dist = frontend / "dist"
    if not (frontend / "package.json").exists():
        return _placeholder(placeholder_dir, "This checkout has no frontend/ to build.")
    node = _node_version()
    if node is None or node[0] < MIN_NODE_MAJOR:
        message = node_missing(node[1] if node else None)
        print(message, flush=True)
        if (dist / "index.html").exists():
            print("Serving the existing build in frontend/dist, which may be out of date.")
            return dist
        return _placeholder(placeholder_dir, message)

    if not install_spa_dependencies(frontend):
        return _placeholder(placeholder_dir, _npm_failed("npm ci"))

    build_digest = sources_digest(frontend)
    build_stamp = _stamp(frontend, "build")
    if not (_fresh(build_stamp, build_digest) and (dist / "index.html").exists()):
        if not _npm(frontend, "run", "build"):
            return _placeholder(placeholder_dir, _npm_failed("npm run build"))
        _write_stamp(build_stamp, build_digest)
    return dist


def install_spa_dependencies(frontend: Path) -> bool:
    """``npm ci`` unless node_modules was installed from this very lockfile; false if it failed."""
    lock_digest = hashlib.sha256((frontend / "package-lock.json").read_bytes()).hexdigest()
    lock_stamp = _stamp(frontend, "lock")
    if _fresh(lock_stamp, lock_digest):
        return True
    if not _npm(frontend, "ci", "--no-audit", "--no-fund"):
        return False
    _write_stamp(lock_stamp, lock_digest)
    return True


def _npm(frontend: Path, *arguments: str) -> bool:
    print(f"Web UI: npm {' '.join(arguments)}", flush=True)
    return subprocess.run(["npm", *arguments], cwd=frontend, check=False).returncode == 0


def _npm_failed(command: str) -> str:
    return (
        f"<code>{command}</code> failed in frontend/; its output is in the terminal that "
        "runs <code>make run</code>."
    )
