"""What every command group of the command line shares: the container, who is acting, and how a command
runs against the container and closes it."""

from __future__ import annotations

import argparse
import getpass
from collections.abc import Callable, Coroutine
from typing import Any


def container() -> Any:
    from devopsbot.bootstrap import get_container

    return get_container()


def actor(text: str | None) -> Any:
    """``--as "Display Name <id>"`` (or just a name) or the login name: who the timeline says did it."""
    from incident.model import Person
    from incident.people import split_named

    if text:
        named = split_named(text)
        if named and not named[2]:
            return Person(id=named[1], name=named[0] or named[1])
        return Person(id=text.strip(), name=text.strip())
    user = getpass.getuser()
    return Person(id=f"cli:{user}", name=user)


def on_behalf(args: argparse.Namespace) -> bool:
    """``--as`` acts as that person, with exactly their rights (incident/access.py); without it the operator,
    who holds the storage keys anyway, acts with full authority under their login name."""
    return bool(getattr(args, "actor", None))


async def with_container(work: Callable[[Any], Coroutine[Any, Any, int]]) -> int:
    built = container()
    try:
        return await work(built)
    finally:
        await built.aclose()  # after the reactions: Teams is told before the command returns
