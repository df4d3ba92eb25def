"""`make run` started as a person starts it, then stopped as a terminal stops it: Ctrl-C (SIGINT to the
foreground process group) or SIGTERM to the group. Every service it started must be gone afterwards, whatever
process group each runs in. A second stack on its own ports and data directory, so `make run` may be up."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.processes import port_open

pytestmark = [pytest.mark.e2e]

ROOT = Path(__file__).resolve().parents[2]
SERVICES = 6  # Azurite's tables, the host, the Playground, maildev's SMTP and its inbox, Azurite's blobs


def five_free_ports() -> int:
    for base in range(21000 + os.getpid() % 1000 * 20, 65000, 20):
        try:
            probes = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(SERVICES)]
            try:
                for offset, probe in enumerate(probes):
                    probe.bind(("127.0.0.1", base + offset))
                return base
            finally:
                for probe in probes:
                    probe.close()
        except OSError:
            continue
    raise RuntimeError("no five consecutive free ports")


def descendants(root: int) -> set[int]:
    """Every process below ``root``, from /proc, whatever its session or process group."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        parents[int(entry.name)] = int(fields[1])
    found: set[int] = set()
    frontier = {root}
    while frontier:
        frontier = {pid for pid, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _as_a_background_job() -> None:
    """What a shell does for `make run &`: the job starts with Ctrl-C's SIGINT ignored."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@pytest.mark.parametrize(("stop", "background"), [(signal.SIGINT, False), (signal.SIGTERM, False),
                                                   (signal.SIGINT, True)],
                         ids=["ctrl-c", "sigterm", "sigint-to-a-background-job"])
def test_stopping_make_run_stops_every_service_it_started(tmp_path: Path, stop: signal.Signals,
                                                          background: bool) -> None:
    base = five_free_ports()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DEVOPSBOT_")}
    output = tmp_path / "make-run.out"  # a file, not a pipe: services that outlive the stack cannot block it
    with output.open("wb") as sink:
        stack = subprocess.Popen([sys.executable, "-m", "devopsbot", "dev", "--base-port", str(base),
                                  "--data", str(tmp_path / "data")], cwd=ROOT, env=env, start_new_session=True,
                                 stdout=sink, stderr=subprocess.STDOUT,
                                 preexec_fn=_as_a_background_job if background else None)
    started: set[int] = set()
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and stack.poll() is None and "Press Ctrl-C" not in output.read_text():
            time.sleep(0.3)
        banner = output.read_text()
        assert "Press Ctrl-C" in banner, banner
        assert f"http://127.0.0.1:{base + 2}" in banner  # the Playground on the asked port
        assert f"http://127.0.0.1:{base + 5}/devstoreaccount1/$web/index.html" in banner  # the status page
        assert all(port_open(base + offset) for offset in range(SERVICES))
        started = descendants(stack.pid)
        assert len(started) >= 4  # one process per service at least

        os.killpg(stack.pid, stop)  # what the terminal sends to the foreground group
        assert stack.wait(timeout=60) == 0
        assert "Stopping..." in output.read_text()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(alive(pid) for pid in started):
            time.sleep(0.2)
        assert [pid for pid in started if alive(pid)] == []
        assert not any(port_open(base + offset) for offset in range(SERVICES))
    finally:
        for pid in {stack.pid, *started}:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        stack.wait(timeout=10)
