"""The process's log levels: what the app says, and the SDK loggers kept quiet."""

from __future__ import annotations

import logging

from devopsbot.log_context import correlate

# Loggers of the SDKs that log every HTTP request and response at INFO: noise in Application Insights, and
# a measurable share of the CPU per request (bench/declaration_storm.py). They speak at DEBUG only.
CHATTY_LOGGERS = ("azure.core.pipeline.policies.http_logging_policy",)


def configure_logging(level: str) -> None:
    """The process's log level; the chatty SDK loggers stay at WARNING or above unless DEBUG is asked for."""
    root = logging.getLogger()
    root.setLevel(level)
    correlate(root)  # every line of a turn or a tick says which operation and incident it belongs to
    chatty = root.level if root.level <= logging.DEBUG else max(root.level, logging.WARNING)
    for name in CHATTY_LOGGERS:
        logging.getLogger(name).setLevel(chatty)
