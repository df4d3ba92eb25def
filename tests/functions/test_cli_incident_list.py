"""``python -m devopsbot incident list`` through the CLI's main function, on the in-memory stack."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from adapters.clock import FixedClock
from devopsbot import bootstrap
from devopsbot.bootstrap import Container
from devopsbot.cli.main import main
from incident.model import Incident
from incident.policy import OrganisationPolicy
from tests.conftest import ALICE


@pytest.fixture
async def stack(memory_container: Container, policy: OrganisationPolicy, clock: FixedClock) -> Iterator[Container]:
    now = clock.now()
    incidents = memory_container.dependencies.incidents
    await incidents.add(Incident.declare(
        incident_id="INC-2026-0001", title="Checkout failing", summary="", incident_type="outage", severity="SEV2",
        declared_by=ALICE, at=now - timedelta(hours=1), policy=policy))
    resolved = Incident.declare(
        incident_id="INC-2026-0002", title="Slow search", summary="", incident_type="outage", severity="SEV1",
        declared_by=ALICE, at=now - timedelta(hours=3), policy=policy)
    resolved.resolve(actor=ALICE, at=now - timedelta(hours=2), policy=policy, resolution="fixed",
                     override_reason="test data")
    await incidents.add(resolved)
    bootstrap.reset_container(memory_container)
    yield memory_container
    bootstrap.reset_container(None)


def test_incident_list_shows_active_incidents_apart_from_resolved_ones(stack: Container,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["incident", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Active incidents (1):" and lines[1].startswith("INC-2026-0001  [SEV2] declared")
    assert lines[2] == "Resolved, awaiting a postmortem or closing (1):"
    assert lines[3].startswith("INC-2026-0002  [SEV1] ")
