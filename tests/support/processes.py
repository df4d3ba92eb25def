"""Starting the project's own local services for tests: free ports, readiness, clean stops."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

from aiohttp import web

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


class Service:
    """A child process in its own process group, with its output in a log file."""

    def __init__(self, name: str, argv: Sequence[str], log: Path, *, env: dict[str, str] | None = None,
                 cwd: Path = ROOT) -> None:
        self.name, self.log = name, log
        self.port = 0  # where it listens, when it is a server started by this module
        log.parent.mkdir(parents=True, exist_ok=True)
        self._output = open(log, "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(list(argv), cwd=cwd, env=env, stdout=self._output,
                                        stderr=subprocess.STDOUT, start_new_session=True)

    def wait_until(self, ready: Callable[[], bool], timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited ({self.process.returncode}):\n{self.tail()}")
            if ready():
                return
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.name} not ready after {timeout} s:\n{self.tail()}")

    def tail(self, lines: int = 40) -> str:
        self._output.flush()
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=10)
            except ProcessLookupError:
                pass
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self._output.close()


def start_azurite(log_dir: Path) -> tuple[Service, int]:
    """Azurite's table service on a free port: in memory, telemetry off, loopback only."""
    binary = ROOT / "node_modules" / ".bin" / "azurite-table"
    if not binary.exists():
        raise RuntimeError(f"{binary} is missing: run 'make test' (it runs npm ci) or 'npm ci'")
    port = free_port()
    service = Service("Azurite", [str(binary), "--tableHost", "127.0.0.1", "--tablePort", str(port),
                                  "--inMemoryPersistence", "--disableTelemetry"],
                      log_dir / "azurite.log")
    service.wait_until(lambda: port_open(port))
    return service, port


def start_azurite_blob(log_dir: Path) -> tuple[Service, int]:
    """Azurite's blob service on a free port: in memory, telemetry off, loopback only."""
    binary = ROOT / "node_modules" / ".bin" / "azurite-blob"
    if not binary.exists():
        raise RuntimeError(f"{binary} is missing: run 'make test' (it runs npm ci) or 'npm ci'")
    port = free_port()
    service = Service("Azurite blob", [str(binary), "--blobHost", "127.0.0.1", "--blobPort", str(port),
                                       "--inMemoryPersistence", "--disableTelemetry", "--skipApiVersionCheck"],
                      log_dir / "azurite-blob.log")
    service.wait_until(lambda: port_open(port))
    return service, port


@asynccontextmanager
async def serving(app: web.Application) -> AsyncIterator[str]:
    """Serve an aiohttp app (a local double of some service) on a free loopback port; yields its base URL."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


def health_ok(port: int) -> bool:
    """The local host on ``port`` answers /api/health with 200."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=2) as response:
            return int(response.status) == 200
    except OSError:
        return False


@contextmanager
def devopsbot_host(log_dir: Path, settings: Mapping[str, str], *, port: int | None = None) -> Iterator[Service]:
    """`python -m devopsbot serve` as a real process with exactly ``settings`` among the DEVOPSBOT_ ones,
    yielded once /api/health answers; its port is ``service.port``."""
    chosen = port or free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DEVOPSBOT_")}
    env.update(settings)
    service = Service("local Functions host", [sys.executable, "-m", "devopsbot", "serve", "--port", str(chosen)],
                      log_dir / "host.log", env=env)
    service.port = chosen
    try:
        service.wait_until(lambda: health_ok(chosen))
        yield service
    finally:
        service.stop()
