"""How to start the Microsoft 365 Agents Playground safely here: loopback only, no telemetry.

Shared by ``make run`` (``devopsbot.local.stack``) and the end-to-end tests, so both run it the same way.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

CONFIG_FILE_NAME = ".m365agentsplayground.yml"

# The Playground calls server.listen(port) without a host, i.e. on every interface: pin it to loopback.
LOOPBACK_PRELOAD = """\
const net = require("net");
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  const port = args[0];
  if ((typeof port === "number" || /^\\d+$/.test(String(port))) && typeof args[1] !== "string") {
    args.splice(1, 0, "127.0.0.1");
  }
  return listen.apply(this, args);
};
"""
# Application Insights reads this before the Playground applies --dt: disable it and aim it at nothing.
_APPINSIGHTS_OFF = json.dumps({"disableAppInsights": True, "disableStatsbeat": True,
                               "endpointUrl": "http://127.0.0.1:9"})
# Inherited variables that would change what the arguments below say.
_DROPPED_ENV_PREFIXES = ("M365_AGENTS_PLAYGROUND_", "TEAMSAPPTESTER_", "TEAMS_APP_TEST_TOOL_",
                         "APPLICATIONINSIGHTS_", "APPINSIGHTS_", "BOT_ENDPOINT")


def write_workdir(workdir: Path, config_yaml: str) -> Path:
    """Write the mock team configuration and the loopback preload; returns the preload's path."""
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / CONFIG_FILE_NAME).write_text(config_yaml, encoding="utf-8")
    preload = workdir / "playground-loopback.cjs"
    preload.write_text(LOOPBACK_PRELOAD, encoding="utf-8")
    return preload


def playground_env(base: Mapping[str, str], preload: Path) -> dict[str, str]:
    env = {k: v for k, v in base.items() if not k.startswith(_DROPPED_ENV_PREFIXES)}
    no_proxy = ",".join(filter(None, [env.get("NO_PROXY", ""), "127.0.0.1,localhost"]))
    env.update({
        "TEAMSAPPTESTER_BROWSER": "none",  # otherwise it tries to open a browser and exits 1
        "NODE_OPTIONS": f"{env.get('NODE_OPTIONS', '')} --require {json.dumps(str(preload))}".strip(),
        "APPLICATIONINSIGHTS_CONFIGURATION_CONTENT": _APPINSIGHTS_OFF,
        "APPLICATION_INSIGHTS_NO_STATSBEAT": "true",
        "NO_PROXY": no_proxy,
        "no_proxy": no_proxy,
    })
    return env


def playground_argv(binary: Path, bot_endpoint: str, port: int, delivery_mode: str | None = None) -> list[str]:
    argv = [str(binary), "--app-endpoint", bot_endpoint, "--channel-id", "msteams", "--port", str(port),
            "--service-url", f"http://127.0.0.1:{port}/_connector", "--disable-telemetry"]
    if delivery_mode:
        argv += ["--delivery-mode", delivery_mode]
    return argv
