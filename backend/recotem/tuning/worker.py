"""One tuning worker: claims trials of a job's shared study and runs them until the
budget, the deadline or a cancel ends the job.

Each trial samples an algorithm, then that algorithm's parameters from irspack's own
search space (prefixed ``<algorithm>.`` so the distributions of different algorithms
never mix), and is fitted and scored on the job's one split file by the worker's trial
runner process (``tuning.trial_runner``). Configurations whose estimated memory exceeds
``memory_budget`` are recorded as pruned without being fitted.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import optuna
from django.core.files.storage import default_storage
from django.utils import timezone
from optuna.trial import Trial, TrialState

from core.models import JobStatus
from training.algorithms import MB, Algorithm, Shape, get_algorithm
from tuning import study as studies
from tuning import trial_runner
from tuning.models import ParameterTuningJob
from tuning.progress import (
    heartbeat,
    job_log,
    tuning_job_claim_trial,
    tuning_job_record_trial,
)
from tuning.selectors import tuning_job_status_payload
from tuning.splitting import sha256

logger = logging.getLogger(__name__)

# How often a worker looks at the job row while a trial runs (cancel, reaper).
WATCH_SECONDS = 1.0
PRUNER_STARTUP_TRIALS = 10


@dataclass
class _Watch:
    """Answers "should this worker stop?" from the job row, reading it at most once
    per ``WATCH_SECONDS`` however often it is asked."""

    job_id: int
    deadline: float | None
    checked_at: float = 0.0
    reason: str | None = None

    def __call__(self) -> str | None:
        if self.reason is not None:
            return self.reason
        now = time.monotonic()
        if self.deadline is not None and now >= self.deadline:
            self.reason = "the job's overall time limit was reached"
            return self.reason
        if now - self.checked_at < WATCH_SECONDS:
            return None
        self.checked_at = now
        row = (
            ParameterTuningJob.objects.filter(pk=self.job_id)
            .values("status", "cancel_requested")
            .first()
        )
        if row is None:
            self.reason = "the job was deleted"
        elif row["cancel_requested"]:
            self.reason = "the job was cancelled"
        elif row["status"] != JobStatus.RUNNING:
            self.reason = f"the job is {row['status']}"
        return self.reason


def _deadline(job: ParameterTuningJob) -> float | None:
    """The job's deadline on this process's monotonic clock (shared by all workers
    because it derives from the job's ``started_at``)."""
    if job.timeout_overall is None or job.started_at is None:
        return None
    ends = job.started_at + timedelta(seconds=job.timeout_overall)
    return time.monotonic() + (ends - timezone.now()).total_seconds()


def _suggest(trial: Trial, algorithms: list[Algorithm]) -> tuple[Algorithm, dict[str, Any]]:
    name = trial.suggest_categorical(studies.ALGORITHM_PARAM, [a.name for a in algorithms])
    algorithm = get_algorithm(str(name))
    params = {r.name: r.suggest(trial, prefix=f"{algorithm.name}.") for r in algorithm.search_space}
    return algorithm, params


def tuning_job_work(*, job_id: int, worker_index: int, task_id: str = "") -> None:
    """Run trials until none is left; never raises, so the chord's finalize runs."""
    job = ParameterTuningJob.objects.select_related("data__project", "evaluation").get(pk=job_id)
    if job.status != JobStatus.RUNNING or job.cancel_requested:
        return
    workdir = Path(tempfile.mkdtemp(prefix=f"recotem-job-{job_id}-"))
    try:
        with heartbeat(job_id):
            _work(job, worker_index, workdir, task_id=task_id)
    except Exception as error:
        logger.exception("Tuning worker %s of job %s failed", worker_index, job_id)
        job_log(job, f"Worker {worker_index} stopped: {error}", level="ERROR", task_id=task_id)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


@dataclass
class _Worker:
    """What one worker task holds while it runs trials."""

    job: ParameterTuningJob
    study: optuna.Study
    runner: trial_runner.TrialRunner
    algorithms: list[Algorithm]
    shape: Shape
    watch: _Watch
    index: int
    task_id: str

    def log(
        self, message: str, *, level: str = "INFO", status: dict[str, Any] | None = None
    ) -> None:
        job_log(self.job, message, level=level, task_id=self.task_id, status=status)


def _work(job: ParameterTuningJob, worker_index: int, workdir: Path, *, task_id: str) -> None:
    split_path = workdir / "split.npz"
    with default_storage.open(job.split_file, "rb") as source:
        split_path.write_bytes(source.read())
    seed = None if job.random_seed is None else job.random_seed + worker_index
    n_threads = trial_runner.thread_budget(job.n_tasks_parallel)
    runner = trial_runner.TrialRunner(
        split_path=split_path,
        cutoff=job.evaluation.cutoff,
        target_metric=job.evaluation.target_metric,
        n_threads=n_threads,
    )
    with studies.storage() as rdb, runner:
        study = studies.load_study(
            rdb,
            job=job,
            # The constant liar keeps parallel workers from sampling the same region,
            # at the cost of re-reading running trials; one worker needs neither.
            sampler=optuna.samplers.TPESampler(seed=seed, constant_liar=job.n_tasks_parallel > 1),
            pruner=optuna.pruners.MedianPruner(n_startup_trials=PRUNER_STARTUP_TRIALS),
        )
        attrs = study.user_attrs
        if sha256(split_path.read_bytes()) != attrs.get("split_sha256"):
            raise RuntimeError("The split file does not match the one the job prepared.")
        worker = _Worker(
            job=job,
            study=study,
            runner=runner,
            algorithms=[get_algorithm(name) for name in job.tried_algorithms_json or []],
            shape=Shape(n_users=attrs["n_users"], n_items=attrs["n_items"], nnz=attrs["nnz"]),
            watch=_Watch(job.pk, _deadline(job)),
            index=worker_index,
            task_id=task_id,
        )
        worker.log(f"Worker {worker_index} started with {n_threads} thread(s).")
        while worker.watch() is None and tuning_job_claim_trial(job_id=job.pk):
            _run_trial(worker)
        if worker.watch.reason:
            worker.log(f"Worker {worker_index} stopped: {worker.watch.reason}.")


@dataclass
class _Running:
    """One trial of a worker, from ``ask`` to ``tell``."""

    worker: _Worker
    trial: Trial
    algorithm: Algorithm
    params: dict[str, Any]
    # What the trials endpoint and finalize read back; written once, at the end.
    record: dict[str, Any] = field(default_factory=dict)

    def close(self, state: TrialState, failure: str = "", *, score: float | None = None) -> None:
        worker, job = self.worker, self.worker.job
        self.record["worker"] = worker.index
        if failure:
            self.record["failure"] = failure
        self.trial.set_user_attr(studies.TRIAL_RECORD, self.record)
        worker.study.tell(self.trial, score if state == TrialState.COMPLETE else None, state=state)
        progress = tuning_job_record_trial(
            job_id=job.pk, score=score, algorithm=self.algorithm.name
        )
        metric = f"{job.evaluation.target_metric}@{job.evaluation.cutoff}"
        result = f"{metric} = {score:.5f}" if score is not None else f"{state.name}: {failure}"
        worker.log(
            f"Trial {self.trial.number} (worker {worker.index}): {self.algorithm.name} "
            f"{self.params} -> {result} [{progress.n_trials_finished}/{progress.n_trials}]",
            level="WARNING" if state == TrialState.FAIL else "INFO",
            status=tuning_job_status_payload(
                job=progress,
                last_trial={
                    "number": self.trial.number,
                    "algorithm": self.algorithm.name,
                    "score": score,
                    "state": state.name,
                },
            ),
        )


def _run_trial(worker: _Worker) -> None:
    job, watch = worker.job, worker.watch
    trial = worker.study.ask()
    algorithm, params = _suggest(trial, worker.algorithms)
    running = _Running(worker, trial, algorithm, params)
    needed = algorithm.estimated_bytes(params, worker.shape) / MB
    if needed > job.memory_budget:
        running.close(
            TrialState.PRUNED,
            f"skipped: needs about {needed:,.0f} MB, the memory budget is {job.memory_budget:,} MB",
        )
        return
    timeout = _trial_timeout(job, watch)

    def on_report(score: float, step: int) -> bool:
        trial.report(score, step)
        return trial.should_prune()

    try:
        outcome = worker.runner.run(
            algorithm=algorithm.name,
            params=params,
            timeout=timeout,
            on_report=on_report,
            should_abort=watch,
        )
    except Exception as error:
        # The trial fails, not the worker: the next trial starts a fresh runner.
        logger.exception("Trial %s of job %s broke its runner", trial.number, job.pk)
        worker.runner.close()
        running.close(TrialState.FAIL, f"{type(error).__name__}: {error}")
        return
    running.record.update(fit_seconds=round(outcome.seconds, 3), split_sha256=outcome.split_sha256)
    if outcome.state == trial_runner.COMPLETE:
        running.record.update(scores=outcome.scores, learnt_config=outcome.learnt_config)
        running.close(TrialState.COMPLETE, score=outcome.scores[job.evaluation.target_metric])
    elif outcome.state == trial_runner.PRUNED:
        running.close(TrialState.PRUNED, "pruned by early stopping")
    elif outcome.state == trial_runner.TIMED_OUT:
        # The trial's limit is the job's deadline when that comes first.
        reason = watch() or f"exceeded timeout_singlestep ({job.timeout_singlestep} s)"
        running.close(TrialState.FAIL, f"stopped: {reason}")
    elif outcome.state == trial_runner.ABORTED:
        running.close(TrialState.FAIL, f"stopped: {outcome.message}")
    else:
        running.close(TrialState.FAIL, outcome.message)


def _trial_timeout(job: ParameterTuningJob, watch: _Watch) -> float | None:
    limits = []
    if job.timeout_singlestep is not None:
        limits.append(float(job.timeout_singlestep))
    if watch.deadline is not None:
        limits.append(max(0.0, watch.deadline - time.monotonic()))
    return min(limits) if limits else None
