"""The backend's side of what it shares with the inference service, seen through the
backend's own code. Run by the backend's Python (``tests.support.run_backend``), never
imported by the inference service.

``describe`` prints, as JSON, the embedded default paths, the Redis URL of the model
events and the backend's verdict for every combination of stored and needed scopes.
``revoke-key ID`` and ``move-slot SLOT_ID MODEL_ID`` change rows through the backend's
services, which publish the matching model events as they do in production.
"""

from __future__ import annotations

import itertools
import json
import sys
from types import SimpleNamespace
from typing import Any

import django

django.setup()

from django.conf import settings

from accounts.models import ApiKey
from accounts.permissions import ApiKeyScopePermission
from accounts.services import api_key_revoke
from deployments.models import DeploymentSlot
from deployments.services import deployment_slot_update
from recotem_common.api_keys import ALL_SCOPES
from training.models import TrainedModel


def _scope_verdicts() -> list[dict[str, Any]]:
    verdicts = []
    for size in range(len(ALL_SCOPES) + 1):
        for stored in itertools.combinations(ALL_SCOPES, size):
            for needed in ALL_SCOPES:
                permission = ApiKeyScopePermission()
                request = SimpleNamespace(auth=ApiKey(scopes=list(stored)), method="GET")
                view = SimpleNamespace(api_key_scope=needed)
                allowed = permission.has_permission(request, view)  # type: ignore[arg-type]
                verdicts.append(
                    {
                        "stored": list(stored),
                        "needed": needed,
                        "refusal": None if allowed else permission.message,
                    }
                )
    return verdicts


def describe() -> dict[str, Any]:
    return {
        "database": str(settings.DATABASES["default"]["NAME"]),
        "media_root": str(settings.MEDIA_ROOT),
        "model_events_redis_url": settings.MODEL_EVENTS_REDIS_URL,
        "scopes": _scope_verdicts(),
    }


def main(arguments: list[str]) -> None:
    while arguments:
        command, *arguments = arguments
        if command == "describe":
            sys.stdout.write(json.dumps(describe()) + "\n")
        elif command == "revoke-key":
            key_id, *arguments = arguments
            api_key_revoke(api_key=ApiKey.objects.get(pk=int(key_id)))
        elif command == "move-slot":
            slot_id, model_id, *arguments = arguments
            deployment_slot_update(
                slot=DeploymentSlot.objects.get(pk=int(slot_id)),
                data={"trained_model": TrainedModel.objects.get(pk=int(model_id))},
            )
        else:
            raise SystemExit(f"unknown command {command!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
