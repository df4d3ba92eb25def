"""The published files: HTML (parsed: accessible, no script, small), status.json (against the published JSON
Schema) and the Atom feed (parsed); a private incident, and anything internal, is in none of them."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import timedelta
from html.parser import HTMLParser

import jsonschema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.status_files import render_status_files
from devopsbot.settings import ROOT
from incident import publishing
from incident.lifecycle import Status
from incident.maintenance import ScheduleMaintenance, new_window
from incident.model import Incident
from incident.policy import OrganisationPolicy
from incident.public_face import Component, PublicFace, PublicUpdate, StatusPagePolicy
from incident.status_page import build_status_page
from tests.conftest import ALICE, OUTAGE_CRITERIA
from tests.unit.test_incident_lifecycle import T0, declare
from tests.unit.test_status_page_model import page, published

SCHEMA = json.loads((ROOT / "docs" / "status-page.schema.json").read_text())
ATOM = "{http://www.w3.org/2005/Atom}"


class Outline(HTMLParser):
    """What a reader (or a screen reader) finds in the page: tags, attributes, headings and text."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.headings: list[str] = []
        self.text: list[str] = []
        self._heading = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._heading = tag in ("h1", "h2", "h3")
        if self._heading:
            self.headings.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("h1", "h2", "h3"):
            self._heading = False

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._heading:
            self.headings[-1] += data


def outline(files: dict[str, bytes]) -> Outline:
    parsed = Outline()
    parsed.feed(files["index.html"].decode())
    parsed.close()
    return parsed


def atom(files: dict[str, bytes]) -> ET.Element:
    return ET.fromstring(files["feed.atom"])  # noqa: S314 - the feed these tests just rendered, not untrusted input


def files_of(policy: OrganisationPolicy, *incidents: Incident, days: int = 0) -> dict[str, bytes]:
    return render_status_files(page(policy, *incidents, days=days), policy.status_page.history_days)


def test_the_html_is_an_accessible_page_without_script_that_fits_a_phone(policy: OrganisationPolicy) -> None:
    parsed = outline(files_of(policy, published(policy, "SEV1", "Investigating <script>alert(1)</script>")))
    tags = {tag for tag, _ in parsed.tags}
    assert "script" not in tags and not any(k.startswith("on") for _, a in parsed.tags for k in a)
    assert ("html", {"lang": "en"}) in parsed.tags
    assert ("meta", {"name": "viewport", "content": "width=device-width, initial-scale=1"}) in parsed.tags
    assert parsed.headings[:3] == ["Contoso status", "Active incidents", "Service disruption"]
    assert "Components" in parsed.headings and "Past incidents (90 days)" in parsed.headings
    text = "".join(parsed.text)
    assert "Investigating <script>alert(1)</script>" in text  # shown as text, escaped in the markup
    assert "Major outage" in text  # a state is said in words, not by colour alone


def test_status_json_follows_the_published_schema(policy: OrganisationPolicy) -> None:
    resolved = replace(published(policy, "SEV3", "Search is slow"), id="INC-2026-0002")
    resolved.resolve(actor=ALICE, at=T0 + timedelta(hours=1), policy=policy, resolution="fixed",
                     criteria_met=OUTAGE_CRITERIA)
    data = json.loads(files_of(policy, published(policy, "SEV1"), resolved, days=1)["status.json"])
    jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker()).validate(data)
    assert data["status"]["indicator"] == "major_outage"
    assert [i["status"] for i in data["history"]] == ["resolved"]
    assert data["history"][0]["updates"][0]["text"] == "Search is slow"


def test_the_atom_feed_parses_with_one_entry_per_public_update(policy: OrganisationPolicy) -> None:
    incident = published(policy, "SEV2", "First & <worst>")
    publishing.set_public_title(incident, actor=ALICE, at=T0, title="Payments delayed")
    publishing.post_public_update(incident, actor=ALICE, at=T0 + timedelta(minutes=5), text="Better now",
                                  policy=policy)
    feed = atom(files_of(policy, incident))
    assert feed.tag == f"{ATOM}feed" and feed.findtext(f"{ATOM}title") == "Contoso status"
    entries = feed.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}content") for e in entries] == ["Better now", "First & <worst>"]
    assert [e.findtext(f"{ATOM}title") for e in entries] == ["Payments delayed: Investigating"] * 2
    assert len({e.findtext(f"{ATOM}id") for e in entries}) == 2
    assert feed.findtext(f"{ATOM}updated") == "2026-11-27T10:05:00Z"


def test_the_html_stays_under_50_kb_for_100_components_and_200_incidents_in_history(
        policy: OrganisationPolicy) -> None:
    services = [f"service-{n:03}" for n in range(100)]
    big = StatusPagePolicy(title="Contoso status", components=tuple(
        Component(key, f"Service number {n:03}", f"Group {n // 10}") for n, key in enumerate(services)))
    incidents = []
    for n in range(200):
        at = T0 - timedelta(days=80) + timedelta(hours=n * 9)
        updates = tuple(PublicUpdate(at + timedelta(minutes=m), f"Update {m} on a disruption of moderate length.",
                                     "investigating") for m in range(3))
        incidents.append(replace(
            declare(policy), id=f"INC-2026-{n:04}", status=Status.RESOLVED, declared_at=at,
            resolved_at=at + timedelta(hours=2), services=(services[n % 100],),
            public=PublicFace(title=f"Slow responses from service {n % 100:03} in one region", updates=updates)))
    windows = [new_window(ScheduleMaintenance(  # a few windows to come, one under way, a few done
        title=f"Upgrade number {n} of the shared database cluster", components=tuple(services[n * 7:n * 7 + 3]),
        description="Some requests may be slower than usual for a few minutes during the upgrade.",
        starts_at=T0 + timedelta(days=n - 3), ends_at=T0 + timedelta(days=n - 3, hours=2), actor=ALICE),
        services, T0 - timedelta(days=4)) for n in range(6)]
    windows.append(new_window(ScheduleMaintenance(
        title="Network maintenance", description="", components=tuple(services[:10]), starts_at=T0,
        ends_at=T0 + timedelta(hours=1), actor=ALICE), services, T0 - timedelta(days=1)))
    shown = build_status_page(incidents, policy=big, services=services, severity_ranks={"SEV2": 2}, now=T0,
                              maintenance=windows)
    assert len(shown.history) == 200 and len(shown.components) == 100
    assert (len(shown.maintenance), len(shown.maintenance_history)) == (4, 3)
    html = render_status_files(shown, 90)["index.html"]
    assert len(html) < 50_000, len(html)


MARK = "zqxsecret"  # in every private or internal field: never in a published byte
text = st.text(st.characters(codec="utf-8"), max_size=60)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(title=text, summary=text, update=text, public_text=text, public_title=text,
       services=st.lists(st.sampled_from(["checkout", "payments", "search"]), min_size=1, max_size=3, unique=True),
       resolved=st.booleans())
def test_a_private_incident_never_appears_in_any_published_file(
        policy: OrganisationPolicy, title: str, summary: str, update: str, public_text: str, public_title: str,
        services: list[str], resolved: bool) -> None:
    secret = replace(declare(policy, severity="SEV1"), id="SEC-2026-0042", private=True,
                     title=MARK + title, summary=MARK + summary, last_update=MARK + update, services=tuple(services),
                     public=PublicFace(title=MARK + public_title,  # as if a stored row said so
                                       updates=(PublicUpdate(T0, MARK + public_text, "investigating"),)))
    if resolved:
        secret = replace(secret, status=Status.RESOLVED, resolved_at=T0)
    shown = replace(published(policy, "SEV3", "Nothing to see"), title=MARK + "internal title",
                    last_update=MARK + "internal update")
    files = files_of(policy, secret, shown)
    for name, content in files.items():
        body = content.decode()
        assert MARK not in body and "SEC-2026-0042" not in body, name
    assert json.loads(files["status.json"])["components"][0]["status"] in ("operational", "degraded_performance")


def test_a_page_with_nothing_published_says_all_is_well(policy: OrganisationPolicy) -> None:
    files = files_of(policy, declare(policy, severity="SEV1"))
    assert "All systems operational" in "".join(outline(files).text)
    assert atom(files).findall(f"{ATOM}entry") == []


def test_a_connection_string_without_a_blob_endpoint_stays_on_its_own_storage() -> None:
    """An older local.settings.json names only Azurite's table endpoint: the status page goes to Azurite's blob
    service beside it, never to the public cloud's default endpoint."""
    from adapters.blob_status_files import with_blob_endpoint

    azurite = "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=k;" \
              "TableEndpoint=http://127.0.0.1:10002/devstoreaccount1;"
    assert with_blob_endpoint(azurite).endswith(";BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;")
    account = "AccountName=acme;AccountKey=k;TableEndpoint=https://acme.table.core.windows.net/"
    assert with_blob_endpoint(account).endswith(";BlobEndpoint=https://acme.blob.core.windows.net/;")
    both = azurite + "BlobEndpoint=http://127.0.0.1:20000/devstoreaccount1;"
    assert with_blob_endpoint(both) == both
    assert with_blob_endpoint("AccountName=acme;AccountKey=k") == "AccountName=acme;AccountKey=k"
