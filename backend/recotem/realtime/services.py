"""Progress of background work: log lines kept in TaskLog, events pushed to WebSockets.

Everything a client watching ``/ws/job/<id>/`` receives goes through
:func:`_send_after_commit`, so a client never hears about a change that is later rolled
back, and an unreachable channel layer never fails the work being reported on.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.cache import cache
from django.db import transaction

from realtime.models import TaskLog

logger = logging.getLogger(__name__)

# The consumer method that relays a group message to its client (see consumers.py).
RELAY_TYPE = "job.message"


# A WebSocket ticket is for connecting right away; it opens one connection only.
WS_TICKET_SECONDS = 30


def _ticket_cache_key(ticket: str) -> str:
    # Only a digest is stored, so the cache never holds a usable ticket.
    return "ws-ticket:" + hashlib.sha256(ticket.encode()).hexdigest()


def ws_ticket_issue(*, user_id: int, session_expires_at: float) -> str:
    """A single-use ticket for ``/ws/...?ticket=``: scripts send it instead of their
    access token, which proxies would log with the URL. The connection it opens closes
    when the session it was issued from (``session_expires_at``) ends."""
    ticket = secrets.token_urlsafe(32)
    cache.set(
        _ticket_cache_key(ticket),
        {"user_id": user_id, "session_expires_at": session_expires_at},
        timeout=WS_TICKET_SECONDS,
    )
    return ticket


def ws_ticket_consume(ticket: str) -> tuple[int, float] | None:
    """The user id and session expiry a valid ticket names; the ticket is spent."""
    key = _ticket_cache_key(ticket)
    value = cache.get(key)
    # Redis answers the delete as "removed" to one caller only: two concurrent
    # connections with the same ticket cannot both pass.
    if value is None or not cache.delete(key):
        return None
    return int(value["user_id"]), float(value["session_expires_at"])


def job_group(job_id: int) -> str:
    return f"job_{job_id}"


def model_group(model_id: int) -> str:
    return f"model_{model_id}"


def log_message(log: TaskLog) -> dict[str, Any]:
    return {
        "type": "log",
        "id": log.pk,
        "level": log.level,
        "message": log.contents,
        "timestamp": log.ins_datetime.isoformat(),
        "task_id": log.task_id,
    }


def _group_send(groups: list[str], messages: list[dict[str, Any]]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return

    async def send() -> None:
        for group in groups:
            for message in messages:
                await layer.group_send(group, {"type": RELAY_TYPE, "message": message})

    try:
        async_to_sync(send)()
    except Exception:
        kinds = ", ".join(str(m.get("type")) for m in messages)
        logger.warning("Could not send %s events to %s", kinds, ", ".join(groups))


def _send_after_commit(groups: list[str], messages: list[dict[str, Any]]) -> None:
    transaction.on_commit(lambda: _group_send(groups, messages), robust=True)


def _groups(tuning_job_id: int | None, trained_model_id: int | None) -> list[str]:
    groups = []
    if tuning_job_id is not None:
        groups.append(job_group(tuning_job_id))
    if trained_model_id is not None:
        groups.append(model_group(trained_model_id))
    return groups


def task_log_append(
    *,
    project_id: int,
    message: str,
    level: str = "INFO",
    tuning_job_id: int | None = None,
    trained_model_id: int | None = None,
    task_id: str = "",
    status: dict[str, Any] | None = None,
) -> TaskLog:
    """Persist a log line of a job or a model and stream it to its watchers, followed
    by ``status`` (the object's status after what the line reports) when given."""
    log = TaskLog.objects.create(
        project_id=project_id,
        tuning_job_id=tuning_job_id,
        trained_model_id=trained_model_id,
        task_id=task_id or "",
        level=level,
        contents=message,
    )
    messages = [log_message(log)] if status is None else [log_message(log), status]
    _send_after_commit(_groups(tuning_job_id, trained_model_id), messages)
    return log


def job_status_send(*, job_id: int, payload: dict[str, Any]) -> None:
    """Stream a tuning job's status (``payload`` as built by the tuning selectors)."""
    _send_after_commit([job_group(job_id)], [payload])


def model_status_send(*, model_id: int, payload: dict[str, Any]) -> None:
    _send_after_commit([model_group(model_id)], [payload])
