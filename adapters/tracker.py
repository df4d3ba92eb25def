"""Follow-ups filed in an external tracker over its REST API: Azure DevOps Boards or GitHub Issues (aiohttp).

The base URL is a setting, so tests point it at a local HTTP double; the token never appears in an error.
"""

from __future__ import annotations

import base64
import html
from typing import TYPE_CHECKING, Any

from incident.errors import TrackerError
from incident.model import Incident
from incident.postmortem import FollowUp

if TYPE_CHECKING:
    import aiohttp

TIMEOUT_SECONDS = 20
KINDS = ("azure_devops", "github")


def _title(incident: Incident, follow_up: FollowUp) -> str:
    # A security incident's follow-up may itself say what is vulnerable: the tracker (seen more widely)
    # gets a neutral title, and its people read the rest in devopsbot.
    if incident.private:
        return f"Security incident {incident.id} follow-up #{follow_up.number}"
    return f"[{incident.id}] {follow_up.title}"


def _description(incident: Incident, follow_up: FollowUp, document_url: str) -> str:
    """Plain text: what to do, by when, and where the incident's record is."""
    if incident.private:  # no detail, no names, no addresses: only where to look
        return "\n".join([f"Priority-1 follow-up #{follow_up.number} of security incident {incident.id}.",
                          f"Due: {follow_up.due_at:%Y-%m-%d} (UTC)",
                          "The details are in devopsbot, for the incident's people only."])
    lines = [f"Priority-1 follow-up #{follow_up.number} of {incident.id} ({incident.severity}).",
             f"Owner: {follow_up.owner.name}" + (f" <{follow_up.owner.email}>" if follow_up.owner.email else ""),
             f"Due: {follow_up.due_at:%Y-%m-%d} (UTC)"]
    if follow_up.link:
        lines.append(f"Link: {follow_up.link}")
    if document_url:
        lines.append(f"Incident document: {document_url}")
    return "\n".join(lines)


class HttpIssueTracker:
    """One tracker, chosen by settings: ``azure_devops`` (``url`` = https://dev.azure.com/ORG/PROJECT) or
    ``github`` (``url`` = https://api.github.com/repos/OWNER/REPO)."""

    def __init__(self, *, kind: str, url: str, token: str, public_url: str = "",
                 session: aiohttp.ClientSession | None = None) -> None:
        if kind not in KINDS:
            raise ValueError(f"unknown tracker kind {kind!r}")
        self.kind, self._url, self._token = kind, url.rstrip("/"), token
        self._public_url = public_url.rstrip("/")
        self._session = session

    @property
    def name(self) -> str:
        return "Azure DevOps Boards" if self.kind == "azure_devops" else "GitHub"

    def _document_url(self, incident: Incident) -> str:
        # A security incident's record is for its people: the tracker (seen more widely) gets no link.
        if incident.private or not self._public_url:
            return ""
        return f"{self._public_url}/api/incidents/{incident.id}/document?format=html"

    def request(self, incident: Incident, follow_up: FollowUp) -> tuple[str, dict[str, str], Any]:
        """The URL, headers and JSON body that file ``follow_up`` (pure: tests read it too)."""
        title = _title(incident, follow_up)
        text = _description(incident, follow_up, self._document_url(incident))
        if self.kind == "azure_devops":
            basic = base64.b64encode(f":{self._token}".encode()).decode()
            fields: list[tuple[str, Any]] = [
                ("System.Title", title[:255]),
                ("Microsoft.VSTS.TCM.ReproSteps", html.escape(text).replace("\n", "<br>")),
                ("Microsoft.VSTS.Common.Priority", 1),
                ("System.Tags", f"devopsbot; postmortem; {incident.id}"),
            ]
            if follow_up.owner.email and not incident.private:
                fields.append(("System.AssignedTo", follow_up.owner.email))
            body = [{"op": "add", "path": f"/fields/{name}", "value": value} for name, value in fields]
            return (f"{self._url}/_apis/wit/workitems/$Bug?api-version=7.1",
                    {"Authorization": f"Basic {basic}", "Content-Type": "application/json-patch+json",
                     "Accept": "application/json"}, body)
        return (f"{self._url}/issues",
                {"Authorization": f"Bearer {self._token}", "Accept": "application/vnd.github+json",
                 "X-GitHub-Api-Version": "2022-11-28", "Content-Type": "application/json"},
                {"title": title[:256], "body": text, "labels": ["postmortem-follow-up", "priority-1"]})

    async def file(self, incident: Incident, follow_up: FollowUp) -> str:
        import json

        import aiohttp

        url, headers, body = self.request(incident, follow_up)
        session = self._session or aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=TIMEOUT_SECONDS))
        try:
            async with session.post(url, data=json.dumps(body), headers=headers) as response:
                text = await response.text()
                if response.status >= 300:
                    raise TrackerError(self.name, f"HTTP {response.status} {_reason(text)}", status=response.status)
                try:
                    answer = json.loads(text)
                except ValueError:
                    raise TrackerError(self.name, "the answer was not JSON", status=response.status) from None
        except aiohttp.ClientError as error:
            raise TrackerError(self.name, f"unreachable ({type(error).__name__})") from error
        except TimeoutError as error:
            raise TrackerError(self.name, "no answer in time") from error
        finally:
            if self._session is None:
                await session.close()
        link = _web_link(self.kind, answer)
        if not link:
            raise TrackerError(self.name, "the answer held no link to the new item", status=response.status)
        return link

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


def _web_link(kind: str, answer: Any) -> str:
    if not isinstance(answer, dict):
        return ""
    if kind == "github":
        link = str(answer.get("html_url") or "")
    else:
        links = answer.get("_links")
        href = links.get("html", {}).get("href") if isinstance(links, dict) else None
        link = str(href or answer.get("url") or "")
    return link if link.startswith(("https://", "http://")) else ""  # shown as a link: nothing else


def _reason(text: str) -> str:
    """The tracker's own message, short (both APIs put it in ``message``)."""
    import json

    try:
        message = json.loads(text).get("message", "")
    except (ValueError, AttributeError):
        message = ""
    return str(message)[:200]
