"""Email through Microsoft Graph's sendMail: one call per 500 recipients, throttling honoured by the client."""

from __future__ import annotations

import base64
from typing import Any

from adapters.graph import GraphClient
from adapters.templates import TemplateMailer
from incident.errors import GraphError, NotificationFailed
from services.ports import Email

MAX_RECIPIENTS = 500  # Exchange Online's limit of recipients per message, To, Cc and Bcc together
MAX_SUBJECT = 250


def _address(email: str) -> dict[str, Any]:
    return {"emailAddress": {"address": email}}


class GraphMailer(TemplateMailer):
    def __init__(self, graph: GraphClient, *, sender: str, reply_to: str = "") -> None:
        self._graph, self._sender, self._reply_to = graph, sender, reply_to
        self.calls = 0  # sendMail calls made (the bench compares them with one per recipient)

    async def send(self, email: Email) -> None:
        """Recipients only in Bcc (a To would count against the 500 too), so stakeholders do not see each
        other's addresses."""
        recipients = list(dict.fromkeys(a for a in email.to if a))
        for start in range(0, len(recipients), MAX_RECIPIENTS):
            batch = recipients[start:start + MAX_RECIPIENTS]
            message: dict[str, Any] = {
                "subject": " ".join(email.subject.split())[:MAX_SUBJECT],  # JSON, but no line breaks either
                "body": {"contentType": "HTML", "content": email.html} if email.html
                else {"contentType": "Text", "content": email.text},
                "bccRecipients": [_address(a) for a in batch],
            }
            # Exchange sends no out-of-office replies to this (Graph accepts only x- custom headers).
            message["internetMessageHeaders"] = [{"name": "X-Auto-Response-Suppress", "value": "All"}] + [
                {"name": name, "value": value} for name, value in email.headers if name.lower().startswith("x-")]
            if self._reply_to:
                message["replyTo"] = [_address(self._reply_to)]
            if email.attachments:
                message["attachments"] = [{
                    "@odata.type": "#microsoft.graph.fileAttachment", "name": a.filename,
                    "contentType": a.content_type, "contentBytes": base64.b64encode(a.data).decode(),
                    "isInline": bool(a.content_id), **({"contentId": a.content_id} if a.content_id else {}),
                } for a in email.attachments]
            try:
                self.calls += 1
                await self._graph.send_mail(self._sender, message)
            except GraphError as error:
                raise NotificationFailed(f"email could not be sent through Microsoft Graph: {error}") from error
