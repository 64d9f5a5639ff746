"""Property-based checks of a running service against its own OpenAPI schema.

Both services' suites run schemathesis (a test dependency of theirs, not of this package)
through this one function, so they hold their schemas to the same checks: no answer is a
5xx, and every status, content type and body is one the schema declares for the
operation. The number of examples per operation and the seed are fixed, so a run is
bounded and repeats itself.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
)

_REPORT_LINE_CHARS = 400


@dataclass(frozen=True)
class FuzzRun:
    passed: bool
    report: str


def fuzz_schema(
    schema: str,
    *,
    base_url: str | None = None,
    headers: Mapping[str, str],
    max_examples: int,
    include_path_regex: str | None = None,
    exclude_operations: Sequence[str] = (),
    phases: Sequence[str] = ("examples", "coverage", "fuzzing"),
    seed: int = 1,
    timeout: float = 600,
) -> FuzzRun:
    """Run schemathesis once over every operation of ``schema`` (a URL, or a file whose
    operations are served at ``base_url``) with one worker, sending
    ``headers`` with each request; ``exclude_operations`` are "METHOD /path" entries
    left out. The coverage phase tries each parameter's boundaries and wrong types,
    fuzzing random inputs of both kinds."""
    command = [
        str(Path(sys.executable).with_name("st")),
        "run",
        schema,
        "--checks",
        ",".join(CHECKS),
        "--workers",
        "1",
        "--max-examples",
        str(max_examples),
        "--seed",
        str(seed),
        "--phases",
        ",".join(phases),
        # The credentials are the ones in ``headers``; generated ones would only be
        # refused and hide what the operation itself answers.
        "--generation-with-security-parameters",
        "false",
        "--no-color",
        "--generation-database",
        "none",
    ]
    if base_url:
        command += ["--url", base_url]
    for name, value in headers.items():
        command += ["--header", f"{name}: {value}"]
    if include_path_regex:
        command += ["--include-path-regex", include_path_regex]
    for operation in exclude_operations:
        method, path = operation.split(" ", 1)
        command += ["--exclude-by", f'method == "{method}" and path == "{path}"']
    # schemathesis keeps a cache of past failures in its working directory; a fresh one
    # makes every run depend on its seed alone.
    with tempfile.TemporaryDirectory() as workdir:
        run = subprocess.run(  # noqa: S603 - a fixed program with arguments built here
            command, capture_output=True, text=True, timeout=timeout, check=False, cwd=workdir
        )
    # Generated inputs can be kilobytes long; a line's start tells which case it was.
    report = "\n".join(line[:_REPORT_LINE_CHARS] for line in (run.stdout + run.stderr).splitlines())
    return FuzzRun(passed=run.returncode == 0, report=report)
