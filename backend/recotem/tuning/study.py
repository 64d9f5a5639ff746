"""The Optuna study of a tuning job, stored in the main database.

PostgreSQL in production, the embedded SQLite file on a bare machine: the SQLAlchemy
URL is built from Django's own connection settings, so Optuna's tables live next to
Recotem's and the parallel workers of a job share one study. Optuna is imported when a
storage is first opened, so the web process loads it only when a request reads trials.
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import TYPE_CHECKING, Any

from django.db import connections
from sqlalchemy.engine import URL

from tuning.models import ParameterTuningJob

if TYPE_CHECKING:
    import optuna
    from optuna.storages import RDBStorage

# SQLite serialises writers; parallel workers must wait for the lock, not fail at once.
SQLITE_BUSY_TIMEOUT_SECONDS = 60
ALGORITHM_PARAM = "algorithm"
# The user attribute holding what Recotem records of a trial: worker, split_sha256,
# fit_seconds, scores, learnt_config, failure.
TRIAL_RECORD = "recotem"


def storage_url() -> str:
    settings_dict = connections["default"].settings_dict
    engine = settings_dict["ENGINE"]
    name = str(settings_dict["NAME"])
    if engine.endswith("sqlite3"):
        return f"sqlite:///{name}"
    if engine.endswith("postgresql"):
        return URL.create(
            "postgresql+psycopg",
            username=settings_dict.get("USER") or None,
            password=settings_dict.get("PASSWORD") or None,
            host=settings_dict.get("HOST") or None,
            port=int(settings_dict["PORT"]) if settings_dict.get("PORT") else None,
            database=name,
        ).render_as_string(hide_password=False)
    raise RuntimeError(f"Tuning does not support the database engine {engine}.")


def _sqlite_engine_kwargs() -> dict[str, Any]:
    name = str(connections["default"].settings_dict["NAME"])

    def connect() -> sqlite3.Connection:
        connection = sqlite3.connect(
            name, timeout=SQLITE_BUSY_TIMEOUT_SECONDS, check_same_thread=False
        )
        # As Django's own connections: WAL is a property of the file, but the
        # fsync policy is per connection, and FULL would sync every Optuna write.
        connection.execute("PRAGMA synchronous=NORMAL")
        return connection

    return {"creator": connect}


def _engine_kwargs(url: str) -> dict[str, Any]:
    if url.startswith("sqlite"):
        return _sqlite_engine_kwargs()
    options = connections["default"].settings_dict.get("OPTIONS") or {}
    return {"pool_pre_ping": True, "connect_args": dict(options)}


def _open_storage(url: str, **engine_kwargs: Any) -> RDBStorage:
    import optuna
    from optuna.storages import RDBStorage

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return RDBStorage(url, engine_kwargs={**_engine_kwargs(url), **engine_kwargs})


@contextmanager
def storage() -> Iterator[RDBStorage]:
    """An Optuna storage whose connections are released on exit (Celery workers are
    long-lived; a pool per task would leak connections)."""
    rdb = _open_storage(storage_url())
    try:
        yield rdb
    finally:
        rdb.remove_session()
        rdb.engine.dispose()


@functools.cache
def _reading_storage(url: str) -> RDBStorage:
    from sqlalchemy.pool import NullPool

    return _open_storage(url, poolclass=NullPool)


@contextmanager
def reading_storage() -> Iterator[RDBStorage]:
    """An Optuna storage for the web process's reads, made once per database: opening one
    checks Optuna's schema, which takes longer than reading a job's trials. Without a pool,
    no connection outlives the request that used it."""
    rdb = _reading_storage(storage_url())
    try:
        yield rdb
    finally:
        rdb.remove_session()


def create_study(
    rdb: RDBStorage, *, job: ParameterTuningJob, user_attrs: dict[str, Any]
) -> optuna.Study:
    import optuna

    study = optuna.create_study(
        storage=rdb,
        study_name=job.study_name(),
        direction="maximize",
        load_if_exists=True,
    )
    for key, value in user_attrs.items():
        study.set_user_attr(key, value)
    return study


def load_study(
    rdb: RDBStorage,
    *,
    job: ParameterTuningJob,
    sampler: optuna.samplers.BaseSampler | None = None,
    pruner: optuna.pruners.BasePruner | None = None,
) -> optuna.Study:
    import optuna

    return optuna.load_study(
        study_name=job.study_name(), storage=rdb, sampler=sampler, pruner=pruner
    )


def find_study(rdb: RDBStorage, *, job: ParameterTuningJob) -> optuna.Study | None:
    try:
        return load_study(rdb, job=job)
    except KeyError:
        return None


def delete_study(*, job: ParameterTuningJob) -> None:
    import optuna

    with storage() as rdb, suppress(KeyError):
        optuna.delete_study(study_name=job.study_name(), storage=rdb)
