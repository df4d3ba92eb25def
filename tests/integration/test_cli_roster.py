"""The roster at the CLI against Azurite: set with a rotation, override, check, and CSV import/export."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.integration.test_cli import cli, env  # noqa: F401 - env is a fixture used by name

pytestmark = pytest.mark.azurite

HEADER = "service,role,kind,person_id,person_name,person_email,handoff,timezone,since,start,end,reason\n"
# The CLI under test reads the machine's clock, so the override is placed relative to it: it starts
# tomorrow and lasts two days, whatever today is. The rotation's dates are in the past on any day.
NOW = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
LEAVE_START, LEAVE_END = NOW + timedelta(days=1), NOW + timedelta(days=3)
ROTATION = (
    "checkout,commander,rotation,29:ana,Ana Lopez,ana@contoso.example,mon 09:00,Europe/Paris,2026-11-02,,,\n"
    "checkout,commander,rotation,29:ben,Ben Ito,,mon 09:00,Europe/Paris,2026-11-02,,,\n"
    "checkout,commander,delegate,29:chloe,\"Nguyen, Chloe\",,,,,,,\n"
)
ORGANISATION = (
    "*,deputy,primary,29:eve,Eve Martin,,,,,,,\n"
    "*,deputy,delegate,29:ana,Ana Lopez,ana@contoso.example,,,,,,\n"
)


def override_row(start: datetime, end: datetime, who: str = "29:dave,Dave Okafor") -> str:
    return f"checkout,commander,override,{who},,,,,{start.isoformat()},{end.isoformat()},leave\n"


ROSTER = HEADER + ROTATION + override_row(LEAVE_START, LEAVE_END) + ORGANISATION


def write(tmp_path: Path, text: str | bytes, name: str = "roster.csv") -> str:
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return str(path)


def test_an_exported_roster_imports_back_to_the_same_roster(env: dict[str, str], tmp_path: Path) -> None:  # noqa: F811
    imported = cli(env, "roster", "import", write(tmp_path, ROSTER))
    assert imported.returncode == 0, imported.stderr
    assert "Imported 3 roles and overrides for checkout, *." in imported.stdout
    exported = cli(env, "roster", "export")
    assert exported.returncode == 0, exported.stderr
    assert exported.stdout == ROSTER  # the same rows, in the same order, quoting included
    again = cli(env, "roster", "import", write(tmp_path, exported.stdout, "again.csv"))
    assert again.returncode == 0, again.stderr
    assert cli(env, "roster", "export").stdout == ROSTER


def test_show_resolves_the_rotation_and_the_override_at_an_instant(env: dict[str, str], tmp_path: Path) -> None:  # noqa: F811
    assert cli(env, "roster", "import", write(tmp_path, ROSTER)).returncode == 0
    # Week of 30 November: the rotation's 5th week from 2 November, so Ana's turn (Ana, Ben, Ana, Ben, Ana).
    monday = cli(env, "roster", "show", "checkout", "--at", "2026-11-30T10:00:00Z").stdout
    assert "checkout  commander            Ana Lopez <29:ana> → Nguyen, Chloe <29:chloe>" in monday
    during = cli(env, "roster", "show", "checkout", "--at", (LEAVE_START + timedelta(days=1)).isoformat()).stdout
    assert "Dave Okafor <29:dave> → Nguyen, Chloe <29:chloe>" in during
    assert "rotation: Ana Lopez, Ben Ito; hand-off mon 09:00 Europe/Paris" in during


def test_overrides_that_have_ended_are_not_part_of_the_roster(env: dict[str, str], tmp_path: Path) -> None:  # noqa: F811
    ended = override_row(NOW - timedelta(days=5), NOW - timedelta(days=3), "29:zoe,Zoe Ended")
    assert cli(env, "roster", "import", write(tmp_path, HEADER + ROTATION + ended + ORGANISATION)).returncode == 0
    assert cli(env, "roster", "export").stdout == HEADER + ROTATION + ORGANISATION
    # --at in the past resolves the current roster at that instant; it is not a history of who was on call.
    then = cli(env, "roster", "show", "checkout", "--at", (NOW - timedelta(days=4)).isoformat()).stdout
    assert "Zoe Ended" not in then


def test_a_bad_file_is_refused_with_line_numbers_and_nothing_is_written(env: dict[str, str], tmp_path: Path) -> None:  # noqa: F811
    bad = HEADER + (
        "checkout,commander,primary,29:ana,Ana,,,,,,,\n"
        "checkout,astronaut,primary,29:ben,Ben,,,,,,,\n"
        "kiosk,commander,primary,29:ben,Ben,,,,,,,\n"
        "checkout,deputy,primary,29:ben,Ben,not-an-email,,,,,,\n"
        "checkout,deputy,rotation,29:ben,Ben,,someday,Europe/Paris,2026-11-02,,,\n"
    )
    result = cli(env, "roster", "import", write(tmp_path, bad))
    assert result.returncode == 4
    assert "nothing was imported" in result.stderr
    assert "line 3: role: unknown role 'astronaut'" in result.stderr
    assert "line 4: service: unknown service 'kiosk' (known: checkout, payments" in result.stderr
    assert "line 5: person_email: 'not-an-email' is not an email address" in result.stderr
    assert "line 6: handoff: 'someday' is not like 'mon 09:00'" in result.stderr
    assert cli(env, "roster", "export").stdout == HEADER  # line 2 was fine, and still not written


def test_wrong_columns_or_encoding_are_clear_errors(env: dict[str, str], tmp_path: Path) -> None:  # noqa: F811
    columns = cli(env, "roster", "import", write(tmp_path, "service,role,who\ncheckout,commander,ana\n"))
    assert columns.returncode == 4 and "line 1: wrong columns: expected service, role, kind" in columns.stderr
    latin1 = (HEADER + "checkout,commander,primary,29:zoe,Zoé,,,,,,,\n").encode("latin-1")
    encoding = cli(env, "roster", "import", write(tmp_path, latin1))
    assert encoding.returncode == 4 and "the file is not UTF-8 (byte 0xe9" in encoding.stderr
    assert cli(env, "roster", "export").stdout == HEADER


def test_overlapping_overrides_are_refused_at_the_cli(env: dict[str, str]) -> None:  # noqa: F811
    first = cli(env, "roster", "override", "checkout", "commander", "Dave <29:dave>", "2030-01-01T00:00:00Z",
                "2030-01-05T00:00:00Z", "--reason", "leave")
    assert first.returncode == 0, first.stderr
    second = cli(env, "roster", "override", "checkout", "commander", "Eve <29:eve>", "2030-01-04T00:00:00Z",
                 "2030-01-06T00:00:00Z")
    assert second.returncode == 4 and "overlaps the override of Dave" in second.stderr


def test_check_reports_single_points_of_failure_with_a_failing_status(env: dict[str, str]) -> None:  # noqa: F811
    assert cli(env, "roster", "set", "*", "commander", "Ana <29:ana>").returncode == 0
    result = cli(env, "roster", "check")
    assert result.returncode == 1
    assert "*  commander: Incident commander hangs on one person (Ana): add a delegate" in result.stdout
    assert "checkout  security_lead: nobody is named for Security lead" in result.stdout
