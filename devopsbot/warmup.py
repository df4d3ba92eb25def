"""A new instance is warm before its first Teams request: one routine imports and builds what the first
/api/messages turn needs (the container, the bot and its adapter, the stores and their table clients, the
Teams notifier, the card templates, the reply catalogues, botbuilder's activity models and, with an app id,
Bot Framework's signing keys), then freezes it out of the garbage collector's sight. The warmup trigger also
makes a first storage round trip and opens the existing tables, on the loop that serves requests.

Whoever comes first runs it, once per process: the Functions warmup trigger (where the plan calls it), a
background thread at start-up (the local host, and Azure when the trigger is not called), or the first request
itself. The others wait for the run in flight instead of building a second time. A failed run is logged and
forgotten: the next caller tries again, and a request then meets the error on its usual path (a configuration
mistake is answered as before, never hidden by the warm-up).

Nothing here is imported heavily at module level: function_app imports it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future

from devopsbot.warmup_settings import background_enabled

log = logging.getLogger(__name__)

# The Functions Python worker imports function_app from one of these; tests and tools import it without.
FUNCTIONS_WORKERS = ("azure_functions_worker", "proxy_worker")

Step = Callable[[], object]


def _build_container() -> None:
    """Settings, the organisation file, the bus, the stores (their table clients), the bot, its adapter, and
    the Teams notifier a declaration posts with: each built once and kept by the container."""
    from devopsbot.bootstrap import get_container

    container = get_container()
    _ = container.bot, container.teams_notifier, container.dependencies


def _compile_templates() -> None:
    """Every card template compiled into the cached environment (jinja2 imported with it)."""
    from adapters.templates import CARDS, card_environment

    environment = card_environment()
    for path in sorted(CARDS.glob("*.json.j2")):
        environment.get_template(path.name)


def _load_replies() -> None:
    from bot.locale import SUPPORTED, Translator

    for language in SUPPORTED:
        Translator(language)


def _fetch_channel_keys() -> None:
    """The keys that sign Bot Framework's tokens, fetched now rather than by the first turn (botbuilder fetches
    them with blocking calls). Only with an app id: without one (local, tests) no token is checked, no network."""
    from bot.first_turn import prefetch_channel_keys
    from devopsbot.bootstrap import get_container

    prefetch_channel_keys(get_container().bot_identity)


def _read_an_activity() -> None:
    from bot.first_turn import read_and_write_an_activity

    read_and_write_an_activity()


def _read_a_row_time() -> None:
    """azure-data-tables reads each row's Timestamp with strptime: the first one imports _strptime and compiles
    the format."""
    from datetime import datetime

    datetime.strptime("2026-01-01T00:00:00.000000Z", "%Y-%m-%dT%H:%M:%S.%fZ")


def _settle_memory() -> None:
    """Collect what importing left behind and freeze the rest (modules, the container: kept for the process's
    life) out of the collector's sight: otherwise the first request pays for a full collection over all of it."""
    import gc

    gc.collect()
    gc.freeze()


DEFAULT_STEPS: tuple[Step, ...] = (_build_container, _compile_templates, _load_replies, _read_an_activity,
                                   _read_a_row_time, _fetch_channel_keys, _settle_memory)


class WarmUp:
    """The steps, run at most once successfully per process; concurrent callers share the run in flight."""

    def __init__(self, steps: Sequence[Step] = DEFAULT_STEPS) -> None:
        self._steps = tuple(steps)
        self._lock = threading.Lock()
        self._run: Future[None] | None = None
        self.runs = 0  # how many times the steps started: 1 in a process that warmed once

    @property
    def warm(self) -> bool:
        run = self._run
        return run is not None and run.done() and run.exception() is None

    def _claim(self) -> tuple[Future[None], bool]:
        """The run in flight (or done), or a new one this caller must carry out (True)."""
        with self._lock:
            if self._run is not None:
                return self._run, False
            self._run = Future()
            self.runs += 1
            return self._run, True

    def _carry_out(self, run: Future[None]) -> None:
        started = time.perf_counter()
        try:
            for step in self._steps:
                step()
        except Exception as error:  # the request's own path meets it again and answers it as it always has
            log.warning("warm-up failed (the next request builds what it needs): %s: %s",
                        type(error).__name__, error)
            with self._lock:
                self._run = None
            run.set_exception(error)
            return
        log.info("warm: built what the first Teams request needs in %.3f s", time.perf_counter() - started)
        run.set_result(None)

    def run(self) -> bool:
        """Warm the process, or wait for the warm-up in flight; True when it is warm. Blocks: call it from a
        thread (the background warm-up, the warmup trigger through ``asyncio.to_thread``)."""
        run, mine = self._claim()
        if mine:
            self._carry_out(run)
        return run.exception() is None

    async def ensure(self) -> None:
        """For a request: return at once when warm; wait (without blocking the loop) for a warm-up in flight;
        otherwise warm here, as the first request always built what it needed. Never raises."""
        run, mine = self._claim()
        if mine:
            self._carry_out(run)
        elif not run.done():
            with contextlib.suppress(Exception):  # logged by the run; the request meets it on its own path
                await asyncio.wrap_future(run)

    def start_background(self) -> threading.Thread:
        """Warm in a daemon thread; the caller (and its port) does not wait."""
        thread = threading.Thread(target=self.run, name="devopsbot-warm-up", daemon=True)
        thread.start()
        return thread


_warm_up = WarmUp()


def process_warm_up() -> WarmUp:
    return _warm_up


def reset_warm_up(warm_up: WarmUp | None = None) -> None:
    """Replace the process-wide warm-up (tests inject steps; None starts a fresh default one)."""
    global _warm_up
    _warm_up = warm_up or WarmUp()


async def warm_up_instance() -> None:
    """What the warmup trigger does: the routine in a thread (the loop keeps serving), then, on the loop that
    serves requests, a first storage round trip, which opens the connection (and, in Azure, fetches the
    managed identity's token) the first turn would otherwise wait for, and a client for every existing table."""
    if not await asyncio.to_thread(_warm_up.run):
        return
    from devopsbot.bootstrap import get_container

    container = get_container()
    reachable, detail = await container.storage_reachable()
    if not reachable:
        log.warning("warm-up: storage is not reachable yet: %s", detail)
    elif "store" in vars(container):  # Table Storage (not the in-memory fakes): open the tables it has
        await container.store.open_existing()


def warm_in_background_under_functions_host(settings: Mapping[str, str]) -> threading.Thread | None:
    """Started at the end of importing function_app: warm in the background when the Functions worker
    imports the app (on every plan, the warmup trigger is called only on scale-out), not when tests or
    tools import it."""
    if not any(name in sys.modules for name in FUNCTIONS_WORKERS) or not background_enabled(settings):
        return None
    return _warm_up.start_background()
