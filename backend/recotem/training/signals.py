"""What training tells the rest of the backend.

``trained_model_finished`` is sent (with ``model``) whenever a trained model reaches a
final state, COMPLETED or FAILED, whatever moved it there: the training task, a tuning
job training its best configuration in-process, a queueing failure or the reaper. Apps
that wait on models (retraining runs) receive it instead of being called by each of
those entry points.
"""

from __future__ import annotations

from django.dispatch import Signal

trained_model_finished = Signal()
