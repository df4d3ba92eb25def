"""Email over SMTP (maildev locally): STARTTLS and authentication when configured, off the event loop.

A user name and password go only over TLS (STARTTLS), except to a relay on this machine when explicitly
allowed (DEVOPSBOT_SMTP_ALLOW_PLAINTEXT_AUTH): settings refuse anything else at start-up, and so does the mailer.
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import make_msgid

from adapters.templates import TemplateMailer
from incident.errors import NotificationFailed
from services.ports import Email

MAX_RECIPIENTS = 500  # per message: larger lists go out as several messages
TIMEOUT_SECONDS = 20
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")

# Lines of up to 998 characters (RFC 5322's limit) rather than 78: a header longer than the line with no space
# to fold at (List-Unsubscribe's signed URL) would otherwise be RFC 2047-encoded, and mail clients read that
# header's URL as it stands (RFC 2369), so one-click unsubscribe would not work.
HEADER_POLICY = default_policy.clone(max_line_length=998)


def smtp_auth_problem(host: str, authenticates: bool, *, starttls: bool, allow_plaintext: bool) -> str | None:
    """Why these SMTP settings would send a password in clear text, or None. Clear text is allowed only to a
    relay on this machine, and only when DEVOPSBOT_SMTP_ALLOW_PLAINTEXT_AUTH says so."""
    if not authenticates or starttls:
        return None
    if allow_plaintext and host.strip("[]").lower() in LOOPBACK_HOSTS:
        return None
    where = "" if host.strip("[]").lower() in LOOPBACK_HOSTS else (
        f" ({host} is not 127.0.0.1, localhost or ::1, so DEVOPSBOT_SMTP_ALLOW_PLAINTEXT_AUTH cannot allow it)")
    return ("SMTP authentication needs TLS: set DEVOPSBOT_SMTP_STARTTLS=true, or remove DEVOPSBOT_SMTP_USERNAME "
            f"and DEVOPSBOT_SMTP_PASSWORD{where}; a relay on this machine may be allowed clear text with "
            "DEVOPSBOT_SMTP_ALLOW_PLAINTEXT_AUTH=true")


class SmtpMailer(TemplateMailer):
    def __init__(self, *, host: str, port: int, sender: str, starttls: bool = False, username: str = "",
                 password: str = "", reply_to: str = "", allow_plaintext_auth: bool = False) -> None:
        problem = smtp_auth_problem(host, bool(username or password), starttls=starttls,
                                    allow_plaintext=allow_plaintext_auth)
        if problem is not None:
            raise ValueError(problem)
        self._host, self._port, self._sender, self._reply_to = host, port, sender, reply_to
        self._starttls, self._username, self._password = starttls, username, password

    async def send(self, email: Email) -> None:
        """Every recipient in Bcc: stakeholders do not see each other's addresses."""
        recipients = list(dict.fromkeys(a for a in email.to if a))
        if not recipients:
            return
        batches = [recipients[i:i + MAX_RECIPIENTS] for i in range(0, len(recipients), MAX_RECIPIENTS)]
        await asyncio.to_thread(self._send_batches, email, batches)

    def _message(self, email: Email, batch: list[str]) -> EmailMessage:
        message = EmailMessage(policy=HEADER_POLICY)  # refuses CR/LF in headers: no header injection
        message["From"] = self._sender
        message["To"] = self._sender
        message["Bcc"] = ", ".join(batch)
        message["Subject"] = email.subject.replace("\r", " ").replace("\n", " ")[:250]
        message["Message-ID"] = make_msgid(domain=self._sender.rpartition("@")[2] or None)
        message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies to this
        message["X-Auto-Response-Suppress"] = "All"  # the same request, as Exchange reads it
        if self._reply_to:
            message["Reply-To"] = self._reply_to  # replies become status updates through the incidents mailbox
        for name, value in email.headers:  # e.g. List-Unsubscribe (RFC 8058); CR/LF in a value is refused
            message[name] = value
        message.set_content(email.text)
        if email.html:
            message.add_alternative(email.html, subtype="html")
        for attachment in email.attachments:
            maintype, _, subtype = attachment.content_type.partition("/")
            html_part = message.get_body(("html",)) if attachment.content_id else None
            if html_part is not None:  # inline: multipart/related beside the HTML that shows it
                html_part.add_related(attachment.data, maintype, subtype, cid=f"<{attachment.content_id}>",
                                      filename=attachment.filename)
            else:
                message.add_attachment(attachment.data, maintype, subtype, filename=attachment.filename)
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
