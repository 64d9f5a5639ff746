"""Property-based run of schemathesis against the served schema: every answer of every
operation is one the schema declares, and none is a server error.

The server is pytest-django's live server (``--liveserver`` or
``DJANGO_LIVE_TEST_SERVER_ADDRESS`` pick its address); the caller is a superuser, so
the account-management operations are reached too, and the records below give the
generated ids something to find.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from rest_framework_simplejwt.tokens import AccessToken

from accounts.throttling import UserThrottle
from recotem_common.schema_fuzzing import fuzz_schema
from tests.conftest import ML100K_DIR, stored_training_data
from tests.factories import (
    ABTestFactory,
    DeploymentSlotFactory,
    EvaluationConfigFactory,
    ParameterTuningJobFactory,
    ProjectFactory,
    SplitConfigFactory,
    TrainedModelFactory,
    UserFactory,
    issue_api_key,
)

pytestmark = pytest.mark.slow


def _seed(owner: Any, interactions: Path) -> None:
    project = ProjectFactory(owner=owner)
    data = stored_training_data(project, interactions)
    model = TrainedModelFactory(project=project, data_loc=data)
    control = DeploymentSlotFactory(project=project, trained_model=model)
    variant = DeploymentSlotFactory(project=project, trained_model=model)
    ABTestFactory(project=project, control_slot=control, variant_slot=variant)
    ParameterTuningJobFactory(
        data=data,
        split=SplitConfigFactory(created_by=owner),
        evaluation=EvaluationConfigFactory(created_by=owner),
    )
    issue_api_key(project=project)


def test_every_operation_answers_only_what_the_schema_declares(
    live_server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    # The sample project is built from the local copy: a test never downloads.
    settings.RECOTEM_SAMPLE_DATA_DIR = str(ML100K_DIR)
    # The run sends more requests a minute than the default rate allows; answers past
    # it would all be 429 and leave the operations untested.
    monkeypatch.setattr(
        UserThrottle, "THROTTLE_RATES", {**UserThrottle.THROTTLE_RATES, "user": None}
    )
    owner = UserFactory(is_staff=True, is_superuser=True)
    interactions = tmp_path / "interactions.csv"
    interactions.write_text(
        "user_id,item_id,timestamp\n"
        + "".join(f"u{n % 7},i{n % 5},{1_700_000_000 + n}\n" for n in range(60))
    )
    _seed(owner, interactions)
    # Generated once here: the first generation takes longer than a request may.
    schema = tmp_path / "schema.json"
    schema.write_bytes(
        OpenApiJsonRenderer().render(SchemaGenerator().get_schema(request=None, public=True))
    )
    run = fuzz_schema(
        str(schema),
        base_url=live_server.url,
        headers={"Authorization": f"Bearer {AccessToken.for_user(owner)}"},
        max_examples=15,
        # The coverage phase's thousands of cases would take minutes here.
        phases=("examples", "fuzzing"),
        include_path_regex="^/api/v1/",
    )
    assert run.passed, run.report
