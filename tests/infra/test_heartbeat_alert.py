"""The dead-man's switch in the Bicep: a scheduled query on Application Insights that fires when the timer's
heartbeat line is missing for 5 minutes, with an action group mailing the admin team's address."""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime

import pytest

from devopsbot.settings import ROOT
from services.heartbeat import HEARTBEAT_MESSAGE, TICK_STALE_AFTER, record_heartbeat

INFRA = ROOT / "infra"
MODULE = INFRA / "modules" / "heartbeat.bicep"


def _resource(text: str, kind: str) -> str:
    """The body of the one resource of type ``kind`` (up to the next top-level resource or output)."""
    found = re.search(rf"^resource \w+ '{re.escape(kind)}@[^']+' = \{{\n(.*?)^\}}", text, re.DOTALL | re.MULTILINE)
    assert found, f"no {kind} resource in {MODULE.name}"
    return found.group(1)


def test_a_scheduled_query_fires_when_no_heartbeat_was_logged_for_five_minutes() -> None:
    rule = _resource(MODULE.read_text(encoding="utf-8"), "Microsoft.Insights/scheduledQueryRules")
    query = re.search(r"query: '(.*)'", rule)
    assert query and query.group(1) == f'traces | where message has "{HEARTBEAT_MESSAGE}"'
    assert "windowSize: 'PT5M'" in rule and "evaluationFrequency: 'PT5M'" in rule
    assert TICK_STALE_AFTER.total_seconds() == 300  # readiness and the alert agree on the window
    assert "timeAggregation: 'Count'" in rule and "operator: 'LessThan'" in rule and "threshold: 1" in rule
    assert "applicationInsightsId" in rule.split("scopes:")[1].split("]")[0]
    assert re.search(r"actionGroups: \[\s*adminTeam\.id\s*\]", rule)


def test_the_action_group_mails_the_admin_team_address_given_as_a_parameter() -> None:
    group = _resource(MODULE.read_text(encoding="utf-8"), "Microsoft.Insights/actionGroups")
    assert "emailAddress: adminEmail" in group and "useCommonAlertSchema: true" in group
    main = (INFRA / "main.bicep").read_text(encoding="utf-8")
    wiring = re.search(r"^module heartbeat 'modules/heartbeat\.bicep' = \{\n(.*?)^\}", main, re.DOTALL | re.MULTILINE)
    assert wiring, "main.bicep does not deploy modules/heartbeat.bicep"
    assert "adminEmail: adminAlertEmail" in wiring.group(1)
    assert "applicationInsightsId: monitoring.outputs.applicationInsightsId" in wiring.group(1)
    parameters = json.loads((INFRA / "main.parameters.json").read_text(encoding="utf-8"))["parameters"]
    assert parameters["adminAlertEmail"] == {"value": "${DEVOPSBOT_ADMIN_ALERT_EMAIL}"}


async def test_each_tick_logs_the_line_the_alert_queries_for(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="services.heartbeat"):
        await record_heartbeat(None, datetime(2026, 11, 27, 10, 0, tzinfo=UTC), 3, 2, 1)
    [line] = [r.getMessage() for r in caplog.records if r.name == "services.heartbeat"]
    assert HEARTBEAT_MESSAGE in line  # what `message has "devopsbot heartbeat"` matches in traces
