"""The SDKs' per-request HTTP logging stays quiet unless DEBUG is asked for (devopsbot.bootstrap)."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from devopsbot.log_levels import CHATTY_LOGGERS, configure_logging

HTTP_LOG = "azure.core.pipeline.policies.http_logging_policy"


@pytest.fixture(autouse=True)
def restored_levels() -> Iterator[None]:
    loggers = [logging.getLogger(), *(logging.getLogger(name) for name in CHATTY_LOGGERS)]
    levels = [logger.level for logger in loggers]
    yield
    for logger, level in zip(loggers, levels, strict=True):
        logger.setLevel(level)


def test_at_info_our_lines_are_logged_but_not_every_storage_request() -> None:
    configure_logging("INFO")
    assert logging.getLogger("services.bus").isEnabledFor(logging.INFO)
    assert not logging.getLogger(HTTP_LOG).isEnabledFor(logging.INFO)
    assert logging.getLogger(HTTP_LOG).isEnabledFor(logging.WARNING)


def test_at_debug_the_storage_requests_are_logged_too() -> None:
    configure_logging("DEBUG")
    assert logging.getLogger(HTTP_LOG).isEnabledFor(logging.INFO)


def test_at_error_the_storage_warnings_are_quiet_too() -> None:
    configure_logging("ERROR")
    assert not logging.getLogger(HTTP_LOG).isEnabledFor(logging.WARNING)
