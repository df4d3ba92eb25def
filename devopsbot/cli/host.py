"""``python -m devopsbot serve|dev|timers|check``: the local Functions host, the local stack, one timer tick
by hand, and the check of settings, the organisation file and storage."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from pathlib import Path
from typing import Any

from devopsbot.cli import common
from incident.instants import parse_instant


def register(sub: Any) -> None:
    serve = sub.add_parser("serve", help="serve every HTTP function under /api and run every timer")
    serve.add_argument("--port", type=int, default=7071)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--log-file", type=Path,
                       help="also write the host's log (warnings, errors, tracebacks) to this file")
    serve.set_defaults(run=_serve_command)

    dev = sub.add_parser("dev", help="start Azurite, the local host, the Agents Playground and maildev")
    dev.add_argument("--base-port", type=int, default=0,
                     help="use five ports from this one (Azurite, host, Playground, SMTP, inbox) instead of "
                          "10002, 7071, 56150, 1025 and 1080: a second stack beside the first")
    dev.add_argument("--data", type=Path, help="where Azurite's data and the logs go (default: .data)")
    dev.set_defaults(run=_dev_command)

    timers = sub.add_parser("timers", help="run one tick of due work (reminders, escalation), as of --at")
    timers.add_argument("--at", help="the instant to run it as of, ISO 8601 (default: now)")
    timers.set_defaults(run=_timers_command)

    check = sub.add_parser("check", help="validate settings and the organisation file; probe storage")
    check.set_defaults(run=_check_command)


def _check_command(args: argparse.Namespace) -> int:
    async def work(container: Any) -> int:
        policy = container.policy
        print(f"settings: ok; organisation file {container.settings.organisation_file}: ok "
              f"({len(policy.severities)} severities, {len(policy.incident_types)} incident types)")
        for feature, reason in container.settings.switched_off:  # the core runs; these wait for their setting
            print(f"switched off: {feature.replace('_', ' ')}: {reason}")
        reachable, detail = await container.storage_reachable()
        print(f"storage: {detail}")
        return 0 if reachable else 6

    return asyncio.run(common.with_container(work))


def log_to_file(path: Path) -> None:
    """The host's log on the terminal as before, and in ``path`` too, with times and logger names."""
    path.parent.mkdir(parents=True, exist_ok=True)
    root = logging.getLogger()
    terminal = logging.StreamHandler(sys.stderr)  # what Python's last-resort handler printed
    terminal.setLevel(logging.WARNING)
    to_file = logging.FileHandler(path, encoding="utf-8")
    to_file.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(terminal)
    root.addHandler(to_file)


def _serve_command(args: argparse.Namespace) -> int:
    from devopsbot.local.host import LocalHost

    if args.log_file:
        log_to_file(args.log_file)


    async def serve(container: Any) -> int:
        reachable, detail = await container.storage_reachable()
        if not reachable:
            print(f"devopsbot: error: storage is not reachable: {detail}", file=sys.stderr)
            return 6
        import function_app

        host = LocalHost(function_app.app, host=args.host, port=args.port)
        await host.start()
        try:
            print(f"devopsbot local Functions host on http://{args.host}:{args.port}", flush=True)
            print("\n".join(host.describe()), flush=True)
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
            await stop.wait()
        finally:
            await host.stop()
        return 0

    return asyncio.run(common.with_container(serve))


def _timers_command(args: argparse.Namespace) -> int:
    """One tick of due work as of ``--at`` (default: now): replay a missed minute, or travel in time."""
    from adapters.clock import FixedClock
    from devopsbot.bootstrap import Container
    from devopsbot.settings import load_settings
    from services.timers import run_tick

    at = parse_instant(args.at, "--at") if args.at else None
    container = Container(load_settings(os.environ), clock=FixedClock(at) if at else None)
    container.validate()

    async def tick(container: Any) -> int:
        report = await run_tick(container.bus, container.clock.now())
        kinds = ", ".join(f"{n} {k}" for k, n in sorted(report.kinds.items())) or "nothing"
        print(f"tick at {container.clock.now():%Y-%m-%dT%H:%M:%SZ}: {report.due} due; done: {kinds}; "
              f"{report.skipped} taken by another run; {report.failed} failed (retried later)")
        return 0  # failed items stay due and are retried by later ticks; the line above says so

    async def run() -> int:
        try:
            return await tick(container)
        finally:
            await container.aclose()

    return asyncio.run(run())


def _dev_command(args: argparse.Namespace) -> int:
    from devopsbot.local.stack import DATA, Ports, run_dev_stack

    base = args.base_port
    if base and not 1024 <= base <= 65530:
        print("devopsbot: error: --base-port must be between 1024 and 65530", file=sys.stderr)
        return 2
    ports = Ports(base, base + 1, base + 2, base + 3, base + 4, base + 5) if base else Ports()
    return run_dev_stack(ports, args.data or DATA)
