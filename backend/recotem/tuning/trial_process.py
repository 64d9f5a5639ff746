"""The process that fits and scores trials (its worker-side handle is ``tuning.trial_runner``).

A tuning worker keeps one of these per task and sends it one trial at a time, so a
trial that overruns ``timeout_singlestep``, a cancel, or the job deadline can stop a
fit for real by killing this process; the worker, its database connections and the
Optuna study stay intact. It loads the job's split file once and never touches the
database. Processes are forked from a server that imported irspack once
(multiprocessing's forkserver), so a new runner is ready in milliseconds.

Protocol: JSON messages over a pipe. The worker sends nothing but ``fit`` requests;
this process answers ``ready`` once the split is loaded, then per fit any number of
``report`` messages (early stopping: the worker answers ``{"prune": bool}``) and one
final message whose event is ``complete``, ``pruned`` or ``failed``.
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

# Imported here so the fork server has them loaded before it forks any runner.
from irspack import Evaluator
from optuna.exceptions import TrialPruned
from threadpoolctl import threadpool_limits

from training.algorithms import build_recommender, get_algorithm
from tuning.splitting import load_split, sha256


class _Channel:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def send(self, message: dict[str, Any]) -> None:
        self.connection.send_bytes(json.dumps(message).encode())

    def receive(self) -> dict[str, Any] | None:
        try:
            result: dict[str, Any] = json.loads(self.connection.recv_bytes())
        except EOFError:
            return None
        return result


class _PruningProxy:
    """Stands in for the Optuna trial inside irspack's early-stopping loop: reports go
    to the worker, which owns the real trial and asks the study's pruner."""

    def __init__(self, channel: _Channel) -> None:
        self.channel = channel
        self.prune = False

    def report(self, value: float, step: int) -> None:
        # irspack minimises the negated score; the study maximises the score itself.
        self.channel.send({"event": "report", "score": -float(value), "step": int(step)})
        answer = self.channel.receive()
        self.prune = bool(answer and answer.get("prune"))

    def should_prune(self) -> bool:
        return self.prune


def _fit(
    channel: _Channel,
    setup: dict[str, Any],
    evaluator: Any,
    interactions: Any,
    message: dict[str, Any],
) -> dict[str, Any]:
    algorithm = get_algorithm(message["algorithm"])
    started = time.perf_counter()
    try:
        recommender = build_recommender(algorithm, interactions, message["params"])
        recommender.learn_with_optimizer(
            evaluator,
            _PruningProxy(channel),  # type: ignore[arg-type]
            max_epoch=setup["max_epoch"],
            validate_epoch=setup["validate_epoch"],
            score_degradation_max=setup["score_degradation_max"],
        )
        scores = evaluator.get_score(recommender)
    except TrialPruned:
        return {"event": "pruned", "seconds": time.perf_counter() - started}
    except Exception as error:
        traceback.print_exc(file=sys.stderr)
        return {
            "event": "failed",
            "message": f"{type(error).__name__}: {error}",
            "seconds": time.perf_counter() - started,
        }
    return {
        "event": "complete",
        "scores": {name: float(value) for name, value in scores.items()},
        "learnt_config": dict(recommender.learnt_config),
        "seconds": time.perf_counter() - started,
    }


def serve(connection: Connection, setup: dict[str, Any], n_threads: int) -> None:
    """The runner's main loop (the target of its process)."""
    # irspack draws progress bars on stdout, which belongs to the worker's log.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.environ["IRSPACK_NUM_THREADS_DEFAULT"] = str(n_threads)
    channel = _Channel(connection)
    with threadpool_limits(n_threads):
        data = Path(setup["split_path"]).read_bytes()
        split = load_split(data)
        evaluator = Evaluator(
            split.X_val,
            offset=split.offset,
            cutoff=setup["cutoff"],
            target_metric=setup["target_metric"],
        )
        channel.send(
            {
                "event": "ready",
                "split_sha256": sha256(data),
                "n_users": int(split.X_train.shape[0]),
                "n_items": int(split.X_train.shape[1]),
                "nnz": int(split.X_train.nnz),
            }
        )
        while (message := channel.receive()) is not None:
            channel.send(_fit(channel, setup, evaluator, split.X_train, message))
