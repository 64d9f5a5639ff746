"""The tuning steps run in-process, in the order the Celery canvas runs them.

These need a database that Optuna's own connection can see, hence transactional tests.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.core.files.storage import default_storage
from django.db import connection
from django.utils import timezone
from irspack import SLIMRecommender
from irspack.optimization import CategoricalRange

from core.models import JobStatus
from realtime.models import TaskLog
from recotem_common.artifact import read_artifact
from recotem_common.events import ModelTrained
from training.artifacts import model_signing_keys
from training.models import TrainedModel
from tuning import selectors, worker
from tuning import study as studies
from tuning.finalize import tuning_job_finalize
from tuning.models import ParameterTuningJob
from tuning.prepare import tuning_job_prepare
from tuning.progress import tuning_job_record_trial
from tuning.reaper import tuning_jobs_reap
from tuning.services import tuning_job_cancel
from tuning.splitting import sha256
from tuning.worker import tuning_job_work

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def slow_slim() -> Any:
    """SLIM searched only where it never converges: a fit that runs for minutes."""
    never_converges = [
        CategoricalRange("alpha", [1e-5]),
        CategoricalRange("l1_ratio", [0.0]),
        CategoricalRange("tol", [0.0]),
        CategoricalRange("n_iter", [10_000]),
    ]
    with mock.patch.object(SLIMRecommender, "default_tune_range", never_converges):
        yield


def _run(job: ParameterTuningJob, workers: int = 1) -> ParameterTuningJob:
    tuning_job_prepare(job_id=job.pk)
    for index in range(workers):
        tuning_job_work(job_id=job.pk, worker_index=index)
    tuning_job_finalize(job_id=job.pk)
    job.refresh_from_db()
    return job


def test_a_job_scores_every_trial_on_one_split_and_trains_the_best(
    make_job: Any, model_events: Any
) -> None:
    job = make_job(n_trials=4, tried_algorithms_json=["TopPop", "RP3beta"], random_seed=3)

    job = _run(job, workers=2)

    assert job.status == JobStatus.COMPLETED, job.error_message
    trials = selectors.tuning_job_trials(job=job)
    assert [t["number"] for t in trials] == [0, 1, 2, 3]
    assert all(t["state"] == "COMPLETE" for t in trials)
    with default_storage.open(job.split_file, "rb") as handle:
        stored_hash = sha256(handle.read())
    assert {t["split_sha256"] for t in trials} == {stored_hash}
    best = max(trials, key=lambda t: t["score"])
    assert job.best_score == pytest.approx(best["score"])
    assert job.best_algorithm == best["algorithm"]
    assert job.n_trials_finished == 4
    # The web process opens Optuna's storage once and reads through it again.
    opened = studies._reading_storage.cache_info().misses
    assert selectors.tuning_job_trials(job=job) == trials
    assert studies._reading_storage.cache_info().misses == opened
    config = job.best_config
    assert config is not None
    assert config.name == f"job-{job.pk}-best"
    assert config.recommender_class_name == f"{best['algorithm']}Recommender"
    assert config.parameters_json == best["params"]
    model = job.tuned_model
    assert model is not None
    assert model.status == JobStatus.COMPLETED
    assert model.metrics_json[f"ndcg@{job.evaluation.cutoff}"] == pytest.approx(job.best_score)
    with default_storage.open(model.file.name, "rb") as handle:
        artifact = read_artifact(handle.read(), model_signing_keys())
    assert artifact.manifest["recotem"]["trained_model_id"] == model.pk
    assert ModelTrained(model_id=model.pk, project_id=job.data.project_id) in model_events()
    log_lines = list(TaskLog.objects.filter(tuning_job=job).values_list("contents", flat=True))
    assert any("Split ready" in line for line in log_lines)
    assert sum(line.startswith("Trial ") for line in log_lines) == 4


@pytest.mark.usefixtures("slow_slim")
def test_a_trial_over_timeout_singlestep_is_stopped_and_recorded(make_job: Any) -> None:
    job = make_job(n_trials=1, tried_algorithms_json=["SLIM"], timeout_singlestep=1)
    tuning_job_prepare(job_id=job.pk)

    started = time.monotonic()
    tuning_job_work(job_id=job.pk, worker_index=0)

    assert time.monotonic() - started < 30
    (trial,) = selectors.tuning_job_trials(job=job)
    assert trial["state"] == "FAIL"
    assert trial["message"] == "stopped: exceeded timeout_singlestep (1 s)"
    tuning_job_finalize(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert "No trial finished successfully" in job.error_message
    assert "timeout_singlestep" in job.error_message


@pytest.mark.usefixtures("slow_slim")
def test_the_overall_time_limit_stops_the_job_for_every_worker(make_job: Any) -> None:
    job = make_job(n_trials=5, tried_algorithms_json=["SLIM"], timeout_overall=3)
    tuning_job_prepare(job_id=job.pk)

    started = time.monotonic()
    tuning_job_work(job_id=job.pk, worker_index=0)
    tuning_job_work(job_id=job.pk, worker_index=1)

    assert time.monotonic() - started < 15
    trials = selectors.tuning_job_trials(job=job)
    assert [t["message"] for t in trials] == ["stopped: the job's overall time limit was reached"]
    assert TaskLog.objects.filter(
        tuning_job=job, contents="Worker 0 stopped: the job's overall time limit was reached."
    ).exists()


@pytest.mark.usefixtures("slow_slim")
def test_cancel_stops_a_running_trial_within_seconds(make_job: Any) -> None:
    job = make_job(n_trials=3, tried_algorithms_json=["SLIM"])
    tuning_job_prepare(job_id=job.pk)

    cancelled_at: list[float] = []

    def cancel_once_fitting() -> None:
        try:
            while not ParameterTuningJob.objects.filter(pk=job.pk, n_trials_started=1).exists():
                time.sleep(0.2)
            time.sleep(1.0)
            tuning_job_cancel(job=ParameterTuningJob.objects.get(pk=job.pk))
            cancelled_at.append(time.monotonic())
        finally:
            connection.close()

    canceller = threading.Thread(target=cancel_once_fitting)
    canceller.start()
    tuning_job_work(job_id=job.pk, worker_index=0)
    stopped_at = time.monotonic()
    canceller.join()

    assert stopped_at - cancelled_at[0] < 5
    (trial,) = selectors.tuning_job_trials(job=job)
    assert trial["state"] == "FAIL"
    assert trial["message"] == "stopped: the job was cancelled"
    tuning_job_finalize(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED


def test_a_failed_worker_does_not_discard_the_other_workers_trials(make_job: Any) -> None:
    job = make_job(n_trials=2, tried_algorithms_json=["TopPop"], train_after_tuning=False)
    tuning_job_prepare(job_id=job.pk)

    with mock.patch.object(worker.default_storage, "open", side_effect=OSError("disk gone")):
        tuning_job_work(job_id=job.pk, worker_index=1)
    tuning_job_work(job_id=job.pk, worker_index=0)
    tuning_job_finalize(job_id=job.pk)

    job.refresh_from_db()
    assert job.status == JobStatus.COMPLETED
    assert job.best_config is not None
    assert job.tuned_model is None
    assert TaskLog.objects.filter(tuning_job=job, level="ERROR", contents__contains="disk gone")
    assert [t["worker"] for t in selectors.tuning_job_trials(job=job)] == [0, 0]


def test_parallel_workers_each_report_their_own_trial_count(make_job: Any) -> None:
    job = make_job(n_trials=40)
    counts: list[int] = []

    def record(n: int) -> None:
        try:
            for _ in range(n):
                counts.append(
                    tuning_job_record_trial(
                        job_id=job.pk, score=None, algorithm="TopPop"
                    ).n_trials_finished
                )
        finally:
            connection.close()

    threads = [threading.Thread(target=record, args=(20,)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(counts) == list(range(1, 41))


def test_configurations_over_the_memory_budget_are_skipped(make_job: Any) -> None:
    job = make_job(n_trials=1, tried_algorithms_json=["DenseSLIM"], memory_budget=10)

    job = _run(job)

    (trial,) = selectors.tuning_job_trials(job=job)
    assert trial["state"] == "PRUNED"
    assert trial["message"].startswith("skipped: needs about")
    assert "memory budget is 10 MB" in trial["message"]
    assert job.status == JobStatus.FAILED
    assert not TrainedModel.objects.exists()


def test_the_reaper_fails_running_jobs_whose_workers_stopped(make_job: Any) -> None:
    stale = make_job(status=JobStatus.RUNNING, heartbeat_at=timezone.now() - timedelta(minutes=30))
    alive = make_job(status=JobStatus.RUNNING, heartbeat_at=timezone.now())

    assert tuning_jobs_reap() == [stale.pk]

    stale.refresh_from_db()
    alive.refresh_from_db()
    assert stale.status == JobStatus.FAILED
    assert "stopped responding" in stale.error_message
    assert alive.status == JobStatus.RUNNING
    assert TaskLog.objects.filter(tuning_job=stale, level="ERROR").exists()


def test_a_split_scheme_that_needs_time_fails_the_job_when_the_data_has_none(
    make_job: Any,
) -> None:
    job = make_job(n_trials=1)
    project = job.data.project
    project.time_column = None
    project.save()
    job.split.scheme = "TU"
    job.split.save()

    tuning_job_prepare(job_id=job.pk)

    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert "needs a time column" in job.error_message
