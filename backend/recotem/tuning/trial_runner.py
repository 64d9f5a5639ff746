"""The worker's handle on its trial runner process (see ``tuning.trial_process``)."""

from __future__ import annotations

import json
import multiprocessing
import multiprocessing.forkserver
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.process import (  # type: ignore[attr-defined]
    AuthenticationString,
    BaseProcess,
)
from pathlib import Path
from typing import Any

from tuning import trial_process

# Runners are forked from one server per worker process that imported irspack, scipy
# and Optuna once: the first runner of a process waits for that import (seconds), every
# later one starts in milliseconds. The server is a clean single-threaded process, so
# forking it is safe, unlike forking a Celery worker with its threads and connections.
_context = multiprocessing.get_context("forkserver")
_context.set_forkserver_preload(["tuning.trial_process"])
# The directory of the Django apps, which the server needs on its path to preload.
APPS_DIR = Path(__file__).resolve().parents[1]

STARTUP_TIMEOUT_SECONDS = 300.0
POLL_SECONDS = 0.25

COMPLETE = "complete"
PRUNED = "pruned"
FAILED = "failed"
TIMED_OUT = "timed_out"
ABORTED = "aborted"


@dataclass
class TrialOutcome:
    state: str
    seconds: float
    scores: dict[str, float] = field(default_factory=dict)
    learnt_config: dict[str, Any] = field(default_factory=dict)
    message: str = ""
    # The split the fit ran on, as the runner process itself hashed it.
    split_sha256: str | None = None


@dataclass(frozen=True)
class RunnerInfo:
    split_sha256: str
    n_users: int
    n_items: int
    nnz: int


def thread_budget(n_parallel: int) -> int:
    """Cores per task when ``n_parallel`` tasks share this machine."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    return max(1, cores // max(1, n_parallel))


class RunnerCrashedError(RuntimeError):
    pass


def _ensure_fork_server() -> None:
    """Start the fork server (once) with the apps importable: it is a fresh
    interpreter that ignores this process's ``sys.path`` while preloading."""
    previous = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(APPS_DIR), previous]))
    try:
        multiprocessing.forkserver.ensure_running()
    finally:
        if previous is None:
            del os.environ["PYTHONPATH"]
        else:
            os.environ["PYTHONPATH"] = previous


@contextmanager
def _children_allowed() -> Iterator[None]:
    """Let a Celery pool process start a runner.

    Celery's prefork pool (billiard) marks its processes daemonic, and multiprocessing
    refuses children to daemonic processes lest they outlive them; a runner cannot, as
    it exits once its pipe to the worker closes. The pool also leaves billiard's own
    authkey type on the process, which the fork server's handshake cannot pickle.
    Both are put back once the runner has started.
    """
    config: dict[str, Any] = multiprocessing.current_process()._config  # type: ignore[attr-defined]
    daemon, authkey = config.get("daemon"), config.get("authkey")
    config["daemon"] = False
    config["authkey"] = AuthenticationString(bytes(authkey or os.urandom(32)))
    try:
        yield
    finally:
        config["daemon"] = daemon
        config["authkey"] = authkey


class TrialRunner:
    """Owns one trial runner process, starting a new one after a trial was killed.

    ``should_abort`` is polled while a trial runs and returns a reason (cancelled,
    deadline) to stop it at once, or ``None``.
    """

    def __init__(
        self,
        *,
        split_path: Path,
        cutoff: int,
        target_metric: str,
        n_threads: int,
        max_epoch: int = 128,
        validate_epoch: int = 5,
        score_degradation_max: int = 5,
    ) -> None:
        self.setup = {
            "split_path": str(split_path),
            "cutoff": cutoff,
            "target_metric": target_metric,
            "max_epoch": max_epoch,
            "validate_epoch": validate_epoch,
            "score_degradation_max": score_degradation_max,
        }
        self.n_threads = n_threads
        self.process: BaseProcess | None = None
        self.connection: Connection | None = None
        self.info: RunnerInfo | None = None

    def __enter__(self) -> TrialRunner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self, should_abort: Callable[[], str | None] | None = None) -> RunnerInfo:
        """Start the process (once) and wait until it has loaded the split."""
        if self.process is not None and self.info is not None:
            return self.info
        _ensure_fork_server()
        ours, theirs = _context.Pipe()
        self.process = _context.Process(
            target=trial_process.serve,
            args=(theirs, self.setup, self.n_threads),
            name="recotem-trial-runner",
            daemon=True,
        )
        # Its own key, not the one copied from a Celery pool process (see below).
        self.process.authkey = os.urandom(32)
        with _children_allowed():
            self.process.start()
        theirs.close()
        self.connection = ours
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        try:
            ready = self._receive(deadline=deadline, should_abort=should_abort)
        except _StopTrialError as stop:
            self.close()
            if stop.state == ABORTED:
                raise
            raise RunnerCrashedError(
                f"The trial runner did not start within {STARTUP_TIMEOUT_SECONDS:.0f} s."
            ) from stop
        if ready is None or ready.get("event") != "ready":
            self.close()
            raise RunnerCrashedError("The trial runner did not start.")
        self.info = RunnerInfo(
            split_sha256=ready["split_sha256"],
            n_users=ready["n_users"],
            n_items=ready["n_items"],
            nnz=ready["nnz"],
        )
        return self.info

    def run(
        self,
        *,
        algorithm: str,
        params: dict[str, Any],
        timeout: float | None,
        on_report: Callable[[float, int], bool],
        should_abort: Callable[[], str | None],
    ) -> TrialOutcome:
        started = time.monotonic()
        try:
            info = self.start(should_abort)
        except _StopTrialError as stop:
            return TrialOutcome(ABORTED, time.monotonic() - started, message=stop.reason)
        outcome = self._fit(algorithm, params, timeout, on_report, should_abort)
        outcome.split_sha256 = info.split_sha256
        return outcome

    def _fit(
        self,
        algorithm: str,
        params: dict[str, Any],
        timeout: float | None,
        on_report: Callable[[float, int], bool],
        should_abort: Callable[[], str | None],
    ) -> TrialOutcome:
        started = time.monotonic()
        deadline = None if timeout is None else started + timeout
        self._send({"op": "fit", "algorithm": algorithm, "params": params})
        while True:
            try:
                message = self._receive(deadline=deadline, should_abort=should_abort)
            except _StopTrialError as stop:
                self.close()
                return TrialOutcome(stop.state, time.monotonic() - started, message=stop.reason)
            if message is None:
                code = self.close()
                return TrialOutcome(
                    FAILED,
                    time.monotonic() - started,
                    message=f"The trial process died (exit code {code}); "
                    "it may have run out of memory.",
                )
            if message["event"] == "report":
                prune = on_report(float(message["score"]), int(message["step"]))
                self._send({"prune": bool(prune)})
                if (reason := should_abort()) is not None:
                    self.close()
                    return TrialOutcome(ABORTED, time.monotonic() - started, message=reason)
                continue
            return TrialOutcome(
                state=message["event"],
                seconds=float(message.get("seconds", time.monotonic() - started)),
                scores=message.get("scores", {}),
                learnt_config=message.get("learnt_config", {}),
                message=message.get("message", ""),
            )

    def close(self) -> int | None:
        process, self.process, self.info = self.process, None, None
        connection, self.connection = self.connection, None
        if connection is not None:
            connection.close()
        if process is None:
            return None
        if process.is_alive():
            process.kill()
        process.join()
        return process.exitcode

    def _send(self, message: dict[str, Any]) -> None:
        assert self.connection is not None
        self.connection.send_bytes(json.dumps(message).encode())

    def _receive(
        self,
        *,
        deadline: float | None,
        should_abort: Callable[[], str | None] | None = None,
    ) -> dict[str, Any] | None:
        assert self.connection is not None
        while True:
            wait = POLL_SECONDS
            if deadline is not None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise _StopTrialError(TIMED_OUT, "")
                wait = min(wait, remaining)
            try:
                if self.connection.poll(wait):
                    result: dict[str, Any] = json.loads(self.connection.recv_bytes())
                    return result
            except (EOFError, OSError):
                return None
            if should_abort is not None and (reason := should_abort()) is not None:
                raise _StopTrialError(ABORTED, reason)


class _StopTrialError(Exception):
    def __init__(self, state: str, reason: str) -> None:
        super().__init__(reason)
        self.state = state
        self.reason = reason
