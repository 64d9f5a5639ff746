"""Every log line carries the correlation id of the work it belongs to."""

from __future__ import annotations

import json
import logging
import logging.config
from collections.abc import Iterator

import pytest

from recotem_common.logs import LogFormat, correlation_id, logging_config


@pytest.fixture
def configured() -> Iterator[None]:
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    yield
    root.handlers[:], level = saved
    root.setLevel(level)


@pytest.mark.usefixtures("configured")
@pytest.mark.parametrize("log_format", ["json", "plain"])
def test_a_line_names_the_correlation_id_of_its_request(
    log_format: LogFormat, capsys: pytest.CaptureFixture[str]
) -> None:
    logging.config.dictConfig(logging_config(level="info", log_format=log_format))
    token = correlation_id.set("req-42")
    try:
        logging.getLogger("recotem.test").info("hello")
    finally:
        correlation_id.reset(token)
    logging.getLogger("recotem.test").info("outside")

    first, second = capsys.readouterr().err.splitlines()
    if log_format == "json":
        assert json.loads(first)["correlation_id"] == "req-42"
        assert json.loads(first)["level"] == "INFO"
        assert json.loads(second)["correlation_id"] == "-"
    else:
        assert "[req-42] hello" in first
        assert "[-] outside" in second


def test_a_service_adds_its_own_loggers() -> None:
    config = logging_config(
        level="WARNING",
        log_format="plain",
        loggers={"django": {"handlers": ["console"], "level": "ERROR", "propagate": False}},
    )

    assert config["loggers"]["django"]["level"] == "ERROR"
    assert config["root"] == {"handlers": ["console"], "level": "WARNING"}
