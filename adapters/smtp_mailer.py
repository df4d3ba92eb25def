"""Email over SMTP (maildev locally): STARTTLS and authentication when configured, off the event loop."""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from collections.abc import Mapping, Sequence
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

from adapters.templates import render_email
from incident.errors import NotificationFailed
from services.ports import Email

MAX_RECIPIENTS = 500  # per message: larger lists go out as several messages
TIMEOUT_SECONDS = 20


class SmtpMailer:
    def __init__(self, *, host: str, port: int, sender: str, starttls: bool = False, username: str = "",
                 password: str = "") -> None:
        self._host, self._port, self._sender = host, port, sender
        self._starttls, self._username, self._password = starttls, username, password

    async def send_template(self, to: Sequence[str], subject: str, template: str,
                            data: Mapping[str, Any]) -> Email:
        text, html = render_email(template, **data)
        email = Email(to=tuple(to), subject=subject, text=text, html=html)
        await self.send(email)
        return email

    async def send(self, email: Email) -> None:
        """Every recipient in Bcc: stakeholders do not see each other's addresses."""
        recipients = list(dict.fromkeys(a for a in email.to if a))
        if not recipients:
            return
        batches = [recipients[i:i + MAX_RECIPIENTS] for i in range(0, len(recipients), MAX_RECIPIENTS)]
        await asyncio.to_thread(self._send_batches, email, batches)

    def _message(self, email: Email, batch: list[str]) -> EmailMessage:
        message = EmailMessage()  # the default policy refuses CR/LF in headers: no header injection
        message["From"] = self._sender
        message["To"] = self._sender
        message["Bcc"] = ", ".join(batch)
        message["Subject"] = email.subject.replace("\r", " ").replace("\n", " ")[:250]
        message["Message-ID"] = make_msgid(domain=self._sender.rpartition("@")[2] or None)
        message.set_content(email.text)
        if email.html:
            message.add_alternative(email.html, subtype="html")
        return message

    def _send_batches(self, email: Email, batches: list[list[str]]) -> None:
        try:
            with smtplib.SMTP(self._host, self._port, timeout=TIMEOUT_SECONDS) as smtp:
                if self._starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self._username:
                    smtp.login(self._username, self._password)
                for batch in batches:
                    smtp.send_message(self._message(email, batch), to_addrs=batch)
        except (smtplib.SMTPException, OSError) as error:
            raise NotificationFailed(f"email could not be sent through {self._host}:{self._port}: "
                                     f"{type(error).__name__}") from error
