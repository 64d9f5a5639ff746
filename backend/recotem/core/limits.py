"""Bounds on what clients may ask for, each defined once, and how size limits are worded.

Serializers, model validators and services take their ranges from here; the limits a
client meets in both services (the cutoff, the length of item lists) come from
``recotem_common.limits``.
"""

from __future__ import annotations

# Trials of one tuning job, whether started by hand or by a retraining schedule.
DEFAULT_TRIALS = 40
MAX_TRIALS = 10_000
# Attempts a retraining run makes after its first one fails.
DEFAULT_RETRIES = 3
MAX_RETRIES = 10
# Seeds numpy's RandomState accepts.
MAX_RANDOM_SEED = 2**32 - 1
# Workers of one tuning job.
MAX_TASKS_PARALLEL = 64
# Model parameters bounded whichever algorithm has them: beyond these a fit exhausts
# memory or runs for days instead of failing fast.
PARAMETER_BOUNDS: dict[str, tuple[int, int]] = {
    "n_components": (1, 1024),
    "n_threads": (1, 64),
    "train_epochs": (1, 1000),
    "max_cg_steps": (1, 100),
    "n_iter": (1, 10_000),
    "top_k": (1, 100_000),
    "random_seed": (0, MAX_RANDOM_SEED),
}
# Room for the multipart boundaries and the other form fields around the file itself.
MULTIPART_ALLOWANCE = 64 * 1024


def megabytes(n_bytes: int) -> str:
    text = f"{n_bytes / 1024**2:.3g} MB"
    return text if n_bytes >= 1024**2 else f"{text} ({n_bytes} bytes)"


def too_large_message(limit: int) -> str:
    return f"The file is larger than the upload limit of {megabytes(limit)}."
