"""The command line's entry point: the parser built from the command groups, and errors mapped to exit codes.

Errors map to an exit code and one line on stderr (``devopsbot: error: ...``), never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Sequence

from incident.errors import (
    ConcurrencyConflict,
    ConfigurationError,
    DevopsbotError,
    DomainError,
    NotFound,
    StorageUnavailable,
)

EXIT_CODES: tuple[tuple[type[Exception], int], ...] = (
    (ConfigurationError, 2),
    (NotFound, 3),
    (DomainError, 4),
    (ConcurrencyConflict, 5),
    (StorageUnavailable, 6),
)
HOST_ERROR_EXIT = 7

# The command groups, each a module with ``register(subparsers)`` that adds its parsers and
# sets ``run`` on them. Those modules import nothing heavy at module level.
COMMAND_MODULES: tuple[str, ...] = ("devopsbot.cli.host", "devopsbot.cli.incident", "devopsbot.cli.assess",
                                    "devopsbot.cli.report", "devopsbot.cli.package", "devopsbot.cli.roster",
                                    "devopsbot.cli.postmortem", "devopsbot.cli.mail", "devopsbot.cli.playbook",
                                    "devopsbot.cli.smoke", "devopsbot.cli.alert", "devopsbot.cli.assessment",
                                    "devopsbot.cli.status_page")


def _prepare_environment() -> None:
    """Settings come from the environment, completed by local.settings.json like the Functions host."""
    from devopsbot.local.host import ROOT, load_local_settings

    load_local_settings(ROOT / "local.settings.json", os.environ)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m devopsbot",
                                     description="devopsbot: incident management for Microsoft Teams.")
    sub = parser.add_subparsers(dest="command", required=True)
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from devopsbot.local.host import HostError

    try:
        _prepare_environment()
        return int(args.run(args))
    except HostError as error:
        print(f"devopsbot: error: {error}", file=sys.stderr)
        return HOST_ERROR_EXIT
    except DevopsbotError as error:
        print(f"devopsbot: error: {error}", file=sys.stderr)
        return next((code for kind, code in EXIT_CODES if isinstance(error, kind)), 1)
    except KeyboardInterrupt:
        return 130
    except Exception as error:
        logging.getLogger("devopsbot").debug("unexpected error", exc_info=error)
        print(f"devopsbot: error: unexpected {type(error).__name__}: {str(error)[:300]}", file=sys.stderr)
        return 1
