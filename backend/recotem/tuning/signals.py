"""What tuning tells the rest of the backend.

``tuning_job_finished`` is sent (with ``job``) whenever a tuning job reaches a final
state, COMPLETED, FAILED or CANCELLED, whatever moved it there: its finalize step, a
failed preparation, a cancel before it started, a queueing failure or the reaper.
"""

from __future__ import annotations

from django.dispatch import Signal

tuning_job_finished = Signal()
