"""Tuning on MovieLens 100K: Recotem's engine against a plain irspack + Optuna script.

All three runs search the default algorithms with the same 40-trial budget, the same
TPE seed, the same search space and the same train/validation split (computed once
with ``tuning.splitting`` and reused), in the same process run:

- *plain*: one process, Optuna's in-memory storage, irspack fitting in-process — what
  a data scientist would write;
- *engine, 1 task* and *engine, 2 tasks*: the service functions the Celery tasks run
  (``tuning_job_prepare``, ``tuning_job_work`` per task, ``tuning_job_finalize``), on a
  SQLite database as on a bare machine, with the Optuna study in that database, trial
  runner subprocesses, heartbeats, TaskLog rows and WebSocket events. The two tasks run
  as two threads of this process; each fits in its own trial runner process, as a
  Celery worker would.

Run from backend/ (its venv has Django and irspack):

    cd backend && uv run python ../benchmarks/tuning/bench_tuning.py [--update-docs]

``--update-docs`` writes the "Tuning" section of docs/benchmarks.md, leaving other
sections alone.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
APPS = REPO / "backend" / "recotem"
ML100K = REPO.parent / "shared" / "datasets" / "ml-100k"
DOCS = REPO / "docs" / "benchmarks.md"
SECTION = "## Tuning"
N_TRIALS = 40
# The machine is shared: every configuration runs this many times, interleaved, and the
# run with the median search time of each is reported.
ROUNDS = 5
SEED = 20
CUTOFF = 10
SPLIT: dict[str, Any] = {"heldout_ratio": 0.2, "test_user_ratio": 0.2, "random_seed": 42}


@dataclass
class Run:
    name: str
    wall_seconds: float  # the search: first trial asked to last trial told
    job_seconds: float  # the whole job, including split/study preparation
    fit_seconds: float  # sum over trials of fitting + scoring
    best_ndcg: float
    n_complete: int
    n_pruned: int

    @property
    def trials_per_minute(self) -> float:
        return N_TRIALS / self.wall_seconds * 60

    @property
    def overhead_ms(self) -> float:
        """Per-trial time not spent fitting or scoring, as seen by one task."""
        return self.wall_seconds / N_TRIALS * 1000 - self.fit_seconds / N_TRIALS * 1000

    @property
    def fit_ms(self) -> float:
        return self.fit_seconds / N_TRIALS * 1000


def configure(workdir: Path) -> Any:
    """A bare-machine configuration in a scratch directory: SQLite, embedded Redis
    (returned, to be stopped, when no Redis is configured)."""
    sys.path.insert(0, str(APPS))
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "recotem.settings",
            "RECOTEM_DATA_DIR": str(workdir),
            "MEDIA_ROOT": str(workdir / "media"),
            "SECRET_KEY": "bench-5f0c2e8a9d4b7e1c3a6f-local-runs-only-7d2e9b",
            "LOG_LEVEL": "WARNING",
            "LOG_FORMAT": "plain",
        }
    )
    from recotem_common.embedded_redis import ensure_redis

    redis = ensure_redis()
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return redis


def interactions() -> Any:
    import pandas as pd

    frame = pd.read_csv(
        ML100K / "u.data", sep="\t", names=["user_id", "item_id", "rating", "timestamp"], dtype=str
    )
    return frame[["user_id", "item_id"]].astype(object)


def plain(split: Any, algorithms: list[str]) -> Run:
    """The baseline, written the way irspack's documentation tunes a model."""
    import optuna
    from irspack import Evaluator, get_recommender_class

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    evaluator = Evaluator(split.X_val, offset=split.offset, cutoff=CUTOFF, target_metric="ndcg")
    classes = {name: get_recommender_class(f"{name}Recommender") for name in algorithms}
    fit_seconds = 0.0

    def objective(trial: optuna.Trial) -> float:
        nonlocal fit_seconds
        name = trial.suggest_categorical("algorithm", algorithms)
        cls = classes[str(name)]
        params = {r.name: r.suggest(trial, prefix=f"{name}.") for r in cls.default_tune_range}
        started = time.perf_counter()
        try:
            recommender = cls(split.X_train, **params)
            recommender.learn_with_optimizer(evaluator, trial, max_epoch=128)
            score = evaluator.get_target_score(recommender)
        finally:
            fit_seconds += time.perf_counter() - started
        return -score

    study = optuna.create_study(
        sampler=optuna.samplers.TPESampler(seed=SEED),
        pruner=optuna.pruners.MedianPruner(n_startup_trials=10),
    )
    started = time.perf_counter()
    # irspack draws progress bars on stdout; the trial runner discards them too.
    with open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull):
        study.optimize(objective, n_trials=N_TRIALS)
    wall = time.perf_counter() - started
    states = [t.state.name for t in study.trials]
    return Run(
        "plain irspack + Optuna",
        wall,
        wall,
        fit_seconds,
        -study.best_value,
        states.count("COMPLETE"),
        states.count("PRUNED"),
    )


def _same_split(a: Any, b: Any) -> bool:
    return (
        a.offset == b.offset
        and list(a.user_ids) == list(b.user_ids)
        and list(a.item_ids) == list(b.item_ids)
        and (a.X_train != b.X_train).nnz == 0
        and (a.X_val != b.X_val).nnz == 0
    )


def engine(n_tasks: int, split: Any, data: Any, split_config: Any, evaluation: Any) -> Run:
    from django.core.files.storage import default_storage

    from training.algorithms import DEFAULT_ALGORITHMS
    from tuning import selectors
    from tuning.finalize import tuning_job_finalize
    from tuning.models import ParameterTuningJob
    from tuning.prepare import tuning_job_prepare
    from tuning.splitting import load_split
    from tuning.worker import tuning_job_work

    job = ParameterTuningJob.objects.create(
        data=data,
        split=split_config,
        evaluation=evaluation,
        n_tasks_parallel=n_tasks,
        n_trials=N_TRIALS,
        random_seed=SEED,
        tried_algorithms_json=list(DEFAULT_ALGORITHMS),
        train_after_tuning=False,
    )
    started = time.perf_counter()
    tuning_job_prepare(job_id=job.pk)
    prepared = time.perf_counter()
    job.refresh_from_db()
    with default_storage.open(job.split_file, "rb") as handle:
        assert _same_split(load_split(handle.read()), split), "the engine split another way"

    def work(index: int) -> None:
        from django.db import connection

        try:
            tuning_job_work(job_id=job.pk, worker_index=index)
        finally:
            connection.close()

    checked = time.perf_counter()
    searching = time.perf_counter()
    tasks = [threading.Thread(target=work, args=(index,)) for index in range(n_tasks)]
    for task in tasks:
        task.start()
    for task in tasks:
        task.join()
    wall = time.perf_counter() - searching
    tuning_job_finalize(job_id=job.pk)
    job_seconds = time.perf_counter() - started - (checked - prepared)
    job.refresh_from_db()
    assert job.status == "COMPLETED", job.error_message
    trials = selectors.tuning_job_trials(job=job)
    assert len({t["split_sha256"] for t in trials if t["split_sha256"]}) == 1
    states = [t["state"] for t in trials]
    # With several tasks the fits overlap: per-task time is the wall time of each task.
    return Run(
        f"Recotem engine, {n_tasks} task{'s' if n_tasks > 1 else ''}",
        wall,
        job_seconds,
        sum(t["duration_seconds"] or 0.0 for t in trials) / n_tasks,
        float(job.best_score or 0.0),
        states.count("COMPLETE"),
        states.count("PRUNED"),
    )


def fixtures(workdir: Path) -> tuple[Any, Any, Any]:
    from django.contrib.auth import get_user_model
    from django.core.files.base import ContentFile

    from projects.models import Project, TrainingData, ValidationStatus
    from tuning.models import EvaluationConfig, SplitConfig

    owner = get_user_model().objects.create(username="benchmark")
    project = Project.objects.create(
        owner=owner, name="MovieLens 100K", user_column="user_id", item_column="item_id"
    )
    csv = "user_id,item_id\n" + "".join(
        f"{line.split(chr(9))[0]},{line.split(chr(9))[1]}\n"
        for line in (ML100K / "u.data").read_text().splitlines()
    )
    data = TrainingData.objects.create(
        project=project,
        basename="ml100k.csv",
        file=ContentFile(csv.encode(), name="ml100k.csv"),
        validation_status=ValidationStatus.VALID,
    )
    split = SplitConfig.objects.create(created_by=owner, **SPLIT)
    evaluation = EvaluationConfig.objects.create(created_by=owner, cutoff=CUTOFF)
    return data, split, evaluation


def cold_start(split: Any, workdir: Path) -> float:
    """The one-time start of the trial-runner fork server in a fresh worker process."""
    from tuning.splitting import dump_split
    from tuning.trial_runner import TrialRunner

    path = workdir / "split.npz"
    path.write_bytes(dump_split(split))
    started = time.perf_counter()
    with TrialRunner(split_path=path, cutoff=CUTOFF, target_metric="ndcg", n_threads=1) as runner:
        runner.start()
    return time.perf_counter() - started


def table(runs: list[Run]) -> str:
    baseline = runs[0]
    plain_trial_ms = baseline.wall_seconds / N_TRIALS * 1000
    lines = [
        "| run | search wall time | whole job | trials / min | best nDCG@10 | "
        "complete / pruned | fit + score per trial | overhead per trial | "
        "added per trial, vs a plain trial |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for run in runs:
        added = (run.overhead_ms - baseline.overhead_ms) / plain_trial_ms
        lines.append(
            f"| {run.name} | {run.wall_seconds:.1f} s | {run.job_seconds:.1f} s | "
            f"{run.trials_per_minute:.1f} | {run.best_ndcg:.4f} | "
            f"{run.n_complete} / {run.n_pruned} | {run.fit_ms:.0f} ms | "
            f"{run.overhead_ms:.0f} ms | {added:+.1%} |"
        )
    return "\n".join(lines)


def section(runs: list[Run], seconds: float, threads: int, cold: float) -> str:
    return f"""{SECTION}

Reproduce with `cd backend && uv run python ../benchmarks/tuning/bench_tuning.py`
(`--update-docs` rewrites this section). Produced on {time.strftime("%Y-%m-%d")} with
Python {platform.python_version()}, irspack {_version("irspack")}, Optuna
{_version("optuna")}, {os.cpu_count()} cores shared with other work; the whole run took
{seconds:.0f} s.

MovieLens 100K, {N_TRIALS} trials over the default algorithms (IALS, RP3beta, CosineKNN,
AsymmetricCosineKNN, DenseSLIM, TopPop) with irspack's own search spaces, TPE seed
{SEED}, median pruning after 10 trials, nDCG@{CUTOFF} on one split (20% of the users
validated, 20% of their interactions held out) shared by all runs. The plain script
fits with {threads} threads; the engine gives each task cores / tasks threads.
*Search wall time* runs from the first trial to the last; *whole job* adds the
engine's preparation (loading the upload, computing and storing the split, creating the
study) and finalize. *Per-trial overhead* is search wall time minus the time spent
fitting and scoring, per trial and per task. With one task the engine samples exactly
the trials the plain script samples (same best score, same complete/pruned counts), so
their work is the same. Each configuration ran {ROUNDS} times, interleaved; the table
shows the run with the median search time of each. *Added per trial* is the engine's
overhead beyond the plain script's, as a share of the plain script's time per trial.

{table(runs)}

The first trial runner of a fresh worker process waits for the fork server that imports
irspack, SciPy and Optuna once ({cold:.1f} s here, before the runs above); every later
runner, in any job that process runs, starts in milliseconds.

Reading the figures: the engine spends about 30 ms per trial outside fitting — Optuna's
round trips to the study in the database (ask, the sampler reading past trials,
pruning reports, tell), the trial's budget claim and progress counters, its TaskLog
row and its WebSocket event — against a few ms for Optuna's in-memory storage; that is
the *added per trial* column, the target being under 10%. Wall times themselves swing
by tens of percent from run to run on this shared machine (the fits, not the
overhead), in both directions, so compare them across rows with care. Fitting in a
separate, lean process (needed to stop a fit at its time limit or on cancel) costs
nothing measurable. Two tasks on two cores give each fit one thread, so they gain less
than 2x.
"""


def _version(package: str) -> str:
    from importlib.metadata import version

    return version(package)


def update_docs(text: str) -> None:
    current = DOCS.read_text() if DOCS.exists() else "# Benchmarks\n"
    start = current.find(SECTION + "\n")
    if start < 0:
        updated = current.rstrip("\n") + "\n\n" + text
    else:
        end = current.find("\n## ", start + len(SECTION))
        rest = "" if end < 0 else current[end:]
        updated = current[:start] + text.rstrip("\n") + "\n" + rest
    DOCS.write_text(updated)


def measure(workdir: Path) -> tuple[list[Run], int, float]:
    from training.algorithms import DEFAULT_ALGORITHMS
    from tuning.splitting import SplitSpec, compute_split
    from tuning.trial_runner import thread_budget

    threads = thread_budget(1)
    # The plain run fits in this process: give it the threads one engine task gets.
    for variable in ("IRSPACK_NUM_THREADS_DEFAULT", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[variable] = str(threads)
    data, split_config, evaluation = fixtures(workdir)
    split = compute_split(
        interactions(),
        user_column="user_id",
        item_column="item_id",
        time_column=None,
        spec=SplitSpec(**SPLIT),
    )
    cold = cold_start(split, workdir)
    measured: dict[str, list[Run]] = {}
    for _ in range(ROUNDS):
        for run in (
            plain(split, list(DEFAULT_ALGORITHMS)),
            engine(1, split, data, split_config, evaluation),
            engine(2, split, data, split_config, evaluation),
        ):
            measured.setdefault(run.name, []).append(run)
            sys.stderr.write(f"{run.name}: {run.wall_seconds:.1f} s\n")
    runs = [
        sorted(candidates, key=lambda r: r.wall_seconds)[len(candidates) // 2]
        for candidates in measured.values()
    ]
    return runs, threads, cold


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--update-docs", action="store_true")
    args = parser.parse_args()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        redis = configure(Path(scratch))
        try:
            runs, threads, cold = measure(Path(scratch))
        finally:
            if redis is not None:
                redis.stop()
    text = section(runs, time.perf_counter() - started, threads, cold)
    sys.stdout.write(text)
    if args.update_docs:
        update_docs(text)


if __name__ == "__main__":
    main()
