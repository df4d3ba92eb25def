"""``make run``: Azurite, the local Functions host, the Agents Playground and maildev, together.

Ctrl-C (or any child dying) stops every child. A port already in use is reported by name.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from devopsbot.local.playground import playground_argv, playground_env, write_workdir

ROOT = Path(__file__).resolve().parents[2]  # the repository: devopsbot/local/ is two levels down
BIN = ROOT / "node_modules" / ".bin"
DATA = ROOT / ".data"
HOST = "127.0.0.1"
AZURITE_ACCOUNT_KEY = ("Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/"
                       "K1SZFPTOtr/KBHBeksoGMGw==")  # Azurite's public, well-known development key


def azurite_connection_string(port: int, blob_port: int | None = None) -> str:
    blob = f"BlobEndpoint=http://{HOST}:{blob_port}/devstoreaccount1;" if blob_port else ""
    return (f"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;"
            f"AccountKey={AZURITE_ACCOUNT_KEY};TableEndpoint=http://{HOST}:{port}/devstoreaccount1;{blob}")


def status_page_url(blob_port: int) -> str:
    """Where Azurite serves the published status page (the static website's container, read anonymously)."""
    return f"http://{HOST}:{blob_port}/devstoreaccount1/$web/index.html"


@dataclass(frozen=True)
class Ports:
    azurite: int = 10002
    functions: int = 7071
    playground: int = 56150
    smtp: int = 1025
    maildev_web: int = 1080
    azurite_blob: int = 10000  # the status page's static files

    def named(self) -> list[tuple[str, int]]:
        return [("Azurite Table storage", self.azurite), ("local Functions host", self.functions),
                ("Agents Playground", self.playground), ("maildev SMTP", self.smtp),
                ("maildev web inbox", self.maildev_web), ("Azurite Blob storage", self.azurite_blob)]


class StackError(Exception):
    pass


def ensure_ports_free(ports: Ports) -> None:
    for name, port in ports.named():
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((HOST, port))
            except OSError:
                raise StackError(f"port {port} ({name}) is already in use; stop what uses it "
                                 f"(for example an earlier 'make run') and try again") from None


def wait_until(check: Callable[[], bool], what: str, process: subprocess.Popen[bytes],
               timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise StackError(f"{what} exited with status {process.returncode} while starting")
        if check():
            return
        time.sleep(0.2)
    raise StackError(f"{what} did not become ready within {timeout:.0f} s")


def port_open(port: int) -> Callable[[], bool]:
    def check() -> bool:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.settimeout(0.5)
            return probe.connect_ex((HOST, port)) == 0
    return check


def http_ok(url: str) -> Callable[[], bool]:
    def check() -> bool:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback only
                return 200 <= int(response.status) < 300
        except (urllib.error.URLError, OSError):
            return False
    return check


class Children:
    """Child processes, each in its own process group so that stopping one stops its children."""

    def __init__(self) -> None:
        self.processes: list[tuple[str, subprocess.Popen[bytes]]] = []
        self._outputs: list[IO[bytes]] = []

    def start(self, name: str, argv: Sequence[str], *, env: dict[str, str] | None = None,
              cwd: Path = ROOT, log: Path | None = None) -> subprocess.Popen[bytes]:
        output = open(log, "ab") if log else None  # noqa: SIM115 - closed in stop_all()
        if output:
            self._outputs.append(output)
        process = subprocess.Popen(list(argv), cwd=cwd, env=env, start_new_session=True,
                                   stdout=output, stderr=subprocess.STDOUT if output else None)
        self.processes.append((name, process))
        return process

    def first_exited(self) -> tuple[str, int] | None:
        for name, process in self.processes:
            if process.poll() is not None:
                return name, process.returncode
        return None

    def stop_all(self) -> None:
        """TERM every process group (a dead leader's children too), then KILL what is left.
        Ctrl-C and TERM are held off meanwhile, so a second one cannot leave children running."""
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
        try:
            for _, process in reversed(self.processes):
                _signal_group(process.pid, signal.SIGTERM)
            deadline = time.monotonic() + 10
            for _, process in self.processes:
                try:
                    process.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    pass
                _signal_group(process.pid, signal.SIGKILL)  # stragglers in the group, if any
                process.wait()
            for output in self._outputs:
                output.close()
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _signal_group(pid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass  # the whole group is gone already


def _require(binary: str) -> str:
    path = BIN / binary
    if not path.exists():
        raise StackError(f"{path} is missing; run 'make run' (it installs the npm packages) or 'npm ci'")
    return str(path)


def fresh_store(location: Path) -> Path | None:
    """An empty Azurite store for this run. The Playground forgets its conversations when it stops, so the last
    run's incidents would only have timers posting into conversations that no longer exist; that store is kept
    beside it (one run back) for anyone who wants to look. Returns where it was kept, if there was one."""
    kept = location.with_name(location.name + ".previous")
    found = location.is_dir() and any(location.iterdir())
    if found:
        shutil.rmtree(kept, ignore_errors=True)
        location.rename(kept)
    location.mkdir(parents=True, exist_ok=True)
    return kept if found else None


def start_stack(children: Children, ports: Ports, data: Path = DATA) -> list[str]:
    """Start every service in dependency order; returns the lines to print for a person."""
    ensure_ports_free(ports)
    logs = data / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    kept = fresh_store(data / "azurite")
    azurite = children.start("Azurite", [
        _require("azurite-table"), "--tableHost", HOST, "--tablePort", str(ports.azurite),
        "--location", str(data / "azurite"), "--disableTelemetry"], log=logs / "azurite.log")
    wait_until(port_open(ports.azurite), "Azurite", azurite)
    azurite_blob = children.start("Azurite blob", [
        _require("azurite-blob"), "--blobHost", HOST, "--blobPort", str(ports.azurite_blob),
        # azure-storage-blob speaks a newer API version than Azurite knows; the calls the page makes exist in both
        "--location", str(data / "azurite"), "--disableTelemetry", "--skipApiVersionCheck"],
        log=logs / "azurite-blob.log")
    wait_until(port_open(ports.azurite_blob), "Azurite blob", azurite_blob)

    storage = azurite_connection_string(ports.azurite, ports.azurite_blob)
    # The host talks to the Azurite just started (its table and blob services), whatever local.settings.json says.
    env = dict(os.environ) | {"DEVOPSBOT_STORAGE_CONNECTION_STRING": storage}
    if ports != Ports():  # a second stack: its host talks to its own maildev too
        env |= {"DEVOPSBOT_SMTP_PORT": str(ports.smtp), "DEVOPSBOT_PUBLIC_URL": f"http://{HOST}:{ports.functions}"}
    functions = children.start("local Functions host", [
        sys.executable, "-m", "devopsbot", "serve", "--port", str(ports.functions),
        "--log-file", str(logs / "host.log")], env=env)
    wait_until(http_ok(f"http://{HOST}:{ports.functions}/api/health"), "the local Functions host",
               functions)

    maildev = children.start("maildev", [
        _require("maildev"), "--smtp", str(ports.smtp), "--web", str(ports.maildev_web),
        "--ip", HOST, "--web-ip", HOST], log=logs / "maildev.log")
    wait_until(port_open(ports.smtp), "maildev", maildev)

    playground_dir = data / "playground"
    preload = write_workdir(playground_dir, (ROOT / "config" / "playground.yml").read_text(encoding="utf-8"))
    playground = children.start("Agents Playground", playground_argv(
        Path(_require("agentsplayground")), f"http://{HOST}:{ports.functions}/api/messages", ports.playground),
        env=playground_env(os.environ, preload), cwd=playground_dir, log=logs / "playground.log")
    wait_until(port_open(ports.playground), "the Agents Playground", playground)

    return [
        "devopsbot local stack is up:",
        f"  Teams (Agents Playground):  http://{HOST}:{ports.playground}  — type '@devopsbot help'",
        f"  Bot endpoint:               http://{HOST}:{ports.functions}/api/messages",
        f"  Health:                     http://{HOST}:{ports.functions}/api/health",
        f"  Dashboard:                  http://{HOST}:{ports.functions}/api/dashboard",
        f"  Email inbox (maildev):      http://{HOST}:{ports.maildev_web}  (SMTP on {HOST}:{ports.smtp})",
        f"  Table Storage (Azurite):    http://{HOST}:{ports.azurite}  (a fresh store in {data / 'azurite'}"
        + (f"; the last run's is in {kept}" if kept else "") + ")",
        f"  Status page (Azurite blob): {status_page_url(ports.azurite_blob)}  (after the first 'public' update)",
        f"  Logs:                       {logs}  (the bot's host: host.log)",
        "Press Ctrl-C to stop everything.",
    ]


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def run_dev_stack(ports: Ports = Ports(), data: Path = DATA) -> int:
    children = Children()
    signal.signal(signal.SIGTERM, _interrupt)  # stop like Ctrl-C does
    # Ctrl-C too, even when started in the background of a shell, which leaves SIGINT ignored for its children.
    signal.signal(signal.SIGINT, _interrupt)
    try:
        for line in start_stack(children, ports, data):
            print(line, flush=True)
        while (exited := children.first_exited()) is None:
            time.sleep(0.5)
        print(f"devopsbot: error: {exited[0]} stopped (status {exited[1]}); stopping the rest "
              f"(see {data / 'logs'})", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("Stopping...", flush=True)
        return 0
    except StackError as error:
        print(f"devopsbot: error: {error}", file=sys.stderr)
        return 1
    finally:
        children.stop_all()
