from __future__ import annotations

from recotem.settings.env import env

CELERY_RESULT_BACKEND = "django-db"
CELERY_RESULT_EXTENDED = True
CELERY_RESULT_EXPIRES = env.int("CELERY_RESULT_EXPIRES", default=7 * 24 * 3600)
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_TASK_TIME_LIMIT: int = env.int("CELERY_TASK_TIME_LIMIT", default=3600)
CELERY_TASK_SOFT_TIME_LIMIT: int = env.int(
    "CELERY_TASK_SOFT_TIME_LIMIT", default=CELERY_TASK_TIME_LIMIT - 120
)
# Long jobs: a task is acknowledged only after it finishes, a worker takes one task at a
# time, and a task whose worker died is redelivered rather than silently dropped. Redis
# redelivers unacknowledged tasks after the visibility timeout, which must therefore
# exceed the longest a task may legitimately run.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_TASK_TIME_LIMIT + 600}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Upload validation runs on its own queue so a lean worker, which never imports the
# machine-learning stack, keeps its memory flat; tuning and training use the default queue.
INGESTION_QUEUE = "ingestion"
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_ROUTES = {"projects.*": {"queue": INGESTION_QUEUE}}
# The apps whose task modules a worker loads; empty means every app. The ingestion
# worker lists only "projects".
CELERY_TASK_APPS: list[str] = env.list("CELERY_TASK_APPS", default=[])
CELERY_TASK_ALWAYS_EAGER: bool = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BEAT_SCHEDULER = env.str(
    "CELERY_BEAT_SCHEDULER", default="django_celery_beat.schedulers:DatabaseScheduler"
)
CELERY_WORKER_CONCURRENCY: int | None = env.int("CELERY_WORKER_CONCURRENCY", default=None)
# The shortest gap between two firings of a retraining schedule: each firing retrains
# (or retunes) a model, so a schedule firing every minute would occupy the workers.
RETRAINING_MIN_INTERVAL_MINUTES: int = env.int("RETRAINING_MIN_INTERVAL_MINUTES", default=60)
# How long queued work (a tuning job, a model, an upload's validation) may wait for a
# worker before the reaper fails it with the reason: a lost message (the embedded Redis
# keeps nothing across a restart) would otherwise leave it PENDING for ever.
QUEUED_WORK_TIMEOUT_MINUTES: int = env.int("QUEUED_WORK_TIMEOUT_MINUTES", default=360)
# Times one validation, training or tuning stage is delivered to a worker before it is
# failed: a task whose worker is killed (out of memory) is redelivered, and would be
# for ever.
MAX_TASK_DELIVERIES: int = env.int("MAX_TASK_DELIVERIES", default=3)
# Estimated peak memory, in MB, a training may need (the model's size and the data's,
# as a tuning job's memory budget estimates them); a larger one is refused before it is
# fitted instead of taking its worker down.
TRAINING_MEMORY_BUDGET_MB: int = env.int("TRAINING_MEMORY_BUDGET_MB", default=8000)
