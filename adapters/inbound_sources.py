"""Where inbound email comes from: a .eml file (CLI, recovery) or the incidents mailbox through Graph's
message delta query (the timer). Both produce ``InboundMessage``s; ``services.inbound_mail`` acts on them."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from email import policy as email_policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parseaddr
from typing import Any
from urllib.parse import quote

from adapters.graph import GraphClient
from services.html_text import html_to_text
from services.inbound_mail import InboundMessage
from services.ports import StateStore

MAX_MESSAGE_BYTES = 2 * 1024 * 1024
MAX_BATCH = 200  # messages handled per poll; the rest wait for the next tick
# What is read of a message, before anything parses it: an update keeps at most 4,000 characters of the
# new text at the top of a body, and no subject needs more than a line (RFC 5322 allows 998 characters).
MAX_BODY_CHARS = 100_000
MAX_SUBJECT_CHARS = 998
# The standard library's header parsers are quadratic on long values and recurse once per nested comment
# or MIME part, so a mail file is refused before they see a longer header or more nesting than mail has.
MAX_HEADER_CHARS = 998
MAX_MULTIPARTS = 50
_PARSED_HEADERS = ("from", "content-type", "content-disposition", "content-transfer-encoding")


def body_text(content: str, is_html: bool) -> str:
    """The plain text of a body, of its first MAX_BODY_CHARS characters (a truncation, not a refusal: what
    matters is at the top, and a reply's quoted history is dropped anyway)."""
    content = content[:MAX_BODY_CHARS]
    return html_to_text(content) if is_html else content


def is_automatic(headers: Mapping[str, str]) -> bool:
    """A machine's message (out-of-office, bounce, list traffic) by its headers, RFC 3834 and the usual kin.
    ``headers`` maps lower-case names to values."""
    if headers.get("auto-submitted", "no").strip().lower() != "no":
        return True
    if headers.get("precedence", "").strip().lower() in ("bulk", "junk", "list", "auto_reply"):
        return True
    if "x-autoreply" in headers or "x-autorespond" in headers:
        return True
    return headers.get("content-type", "").strip().lower().startswith("multipart/report")


def parse_eml(data: bytes) -> InboundMessage:
    """One RFC 5322 message. Without a Message-ID, its content's hash identifies it (a retry of the same
    file is still recognised). A message no mail program writes (huge, or headers or nesting beyond any
    real mail's) is a ValueError saying which limit it passed."""
    if len(data) > MAX_MESSAGE_BYTES:
        raise ValueError(f"the message is larger than {MAX_MESSAGE_BYTES // (1024 * 1024)} MB")
    if data.lower().count(b"boundary=") > MAX_MULTIPARTS:
        raise ValueError(f"the message has more than {MAX_MULTIPARTS} multipart sections")
    message = BytesParser(policy=email_policy.default).parsebytes(data)
    assert isinstance(message, EmailMessage)
    for section in message.walk():
        for header, value in section.raw_items():
            if header.lower() in _PARSED_HEADERS and len(value) > MAX_HEADER_CHARS:
                raise ValueError(f"its {header} header is {len(value)} characters long; the limit is "
                                 f"{MAX_HEADER_CHARS}")
    headers = {header.lower(): " ".join(str(value).split())[:MAX_HEADER_CHARS]
               for header, value in message.raw_items()}
    sender = email_policy.default.header_factory("from", _without_comments(headers.get("from", "")))
    name, address = parseaddr(str(sender))
    text = ""
    part = message.get_body(preferencelist=("plain", "html"))
    if part is not None:
        try:
            content = part.get_content()
        except (LookupError, ValueError):  # an unknown charset or broken transfer encoding
            payload = part.get_payload(decode=True)
            content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
        text = body_text(str(content), part.get_content_type() == "text/html")
    message_id = headers.get("message-id", "") or "sha256:" + hashlib.sha256(data).hexdigest()
    subject = str(email_policy.default.header_factory("subject", headers.get("subject", "")))
    return InboundMessage(message_id=message_id, sender=address, sender_name=name,
                          subject=subject[:MAX_SUBJECT_CHARS], text=text, automatic=is_automatic(headers))


def _without_comments(value: str) -> str:
    """An address header without its (comments), outside quoted strings: read once, nesting and all."""
    kept: list[str] = []
    depth, quoted, escaped = 0, False, False
    for char in value:
        if escaped or char == "\\":
            escaped = not escaped
        elif quoted or (depth == 0 and char == '"'):
            quoted = quoted != (char == '"')
        elif char == "(":
            depth += 1
            continue
        elif char == ")" and depth:
            depth -= 1
            continue
        if depth == 0:
            kept.append(char)
    return "".join(kept)


def _from_graph(item: dict[str, Any]) -> InboundMessage | None:
    if "@removed" in item:
        return None  # a deletion or a move out of the folder: nothing to act on
    sender = ((item.get("from") or {}).get("emailAddress") or {})
    body = item.get("body") or {}
    content = str(body.get("content") or "")
    text = body_text(content, str(body.get("contentType", "")).lower() == "html")
    headers = {str(h.get("name", "")).lower(): str(h.get("value", ""))
               for h in item.get("internetMessageHeaders") or [] if isinstance(h, dict)}
    return InboundMessage(message_id=str(item.get("internetMessageId") or item.get("id") or ""),
                          sender=str(sender.get("address") or ""), sender_name=str(sender.get("name") or ""),
                          subject=str(item.get("subject") or "")[:MAX_SUBJECT_CHARS], text=text,
                          automatic=is_automatic(headers))


class GraphMailbox:
    """New messages in a mailbox's inbox since the last poll, through the delta query.

    The delta link is stored only after the batch it ends has been handled, so a crash mid-batch
    handles it again (each message is handled once anyway). Permission: Mail.Read, restricted to
    this mailbox by an application access policy.
    """

    SELECT = "subject,from,body,internetMessageId,internetMessageHeaders,receivedDateTime"

    def __init__(self, graph: GraphClient, mailbox: str, state: StateStore) -> None:
        self._graph, self._mailbox, self._state = graph, mailbox, state

    @property
    def _state_name(self) -> str:
        return f"mailbox-delta:{self._mailbox.lower()}"

    async def fetch(self) -> tuple[list[InboundMessage], str]:
        """New messages (at most MAX_BATCH) and the link to resume from once they are handled."""
        link = await self._state.get(self._state_name) or (
            f"/users/{quote(self._mailbox, safe='@')}/mailFolders/inbox/messages/delta?$select={self.SELECT}")
        messages: list[InboundMessage] = []
        while True:
            page = await self._graph.get(f"reading the mailbox {self._mailbox}", link)
            for item in page.get("value") or []:
                if isinstance(item, dict) and (found := _from_graph(item)) is not None and found.message_id:
                    messages.append(found)
            if "@odata.deltaLink" in page:
                return messages, str(page["@odata.deltaLink"])
            if "@odata.nextLink" not in page:
                return messages, link  # an answer without either link: resume where we were
            link = str(page["@odata.nextLink"])
            if len(messages) >= MAX_BATCH:
                return messages, link

    async def commit(self, link: str) -> None:
        await self._state.put(self._state_name, link)
