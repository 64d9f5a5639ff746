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
    schema_url: str,
    *,
    headers: Mapping[str, str],
    max_examples: int,
    include_path_regex: str | None = None,
    exclude_operations: Sequence[str] = (),
    seed: int = 1,
    timeout: float = 600,
) -> FuzzRun:
    """Run schemathesis once over every operation of ``schema_url`` (one worker), sending
    ``headers`` with each request; ``exclude_operations`` are "METHOD /path" entries
    left out."""
    command = [
        str(Path(sys.executable).with_name("st")),
        "run",
        schema_url,
        "--checks",
        ",".join(CHECKS),
        "--workers",
        "1",
        "--max-examples",
        str(max_examples),
        "--seed",
        str(seed),
        "--phases",
        "examples,coverage,fuzzing",
        "--no-color",
        "--generation-database",
        "none",
    ]
    for name, value in headers.items():
        command += ["--header", f"{name}: {value}"]
    if include_path_regex:
        command += ["--include-path-regex", include_path_regex]
    for operation in exclude_operations:
        method, path = operation.split(" ", 1)
        command += ["--exclude-by", f'method == "{method}" and path == "{path}"']
    run = subprocess.run(  # noqa: S603 - a fixed program with arguments built here
        command, capture_output=True, text=True, timeout=timeout, check=False
    )
    # Generated inputs can be kilobytes long; a line's start tells which case it was.
    report = "\n".join(line[:_REPORT_LINE_CHARS] for line in (run.stdout + run.stderr).splitlines())
    return FuzzRun(passed=run.returncode == 0, report=report)
