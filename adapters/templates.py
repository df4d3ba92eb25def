"""Every Jinja environment, one per output kind, each built on first use and cached:

- cards (``cards/``): every value a JSON literal, never raw markup;
- email (``templates/email/``): HTML parts autoescaped, text parts left as text;
- pages (``templates/pages/``, ``templates/dashboard/``): HTML people open outside Teams, autoescaped;
- status page (``templates/status/``): the public page as HTML and its Atom feed, both autoescaped (XML
  text needs the same five escapes as HTML);
- documents (``templates/postmortem/``): the incident document as HTML (autoescaped) or Markdown (every
  value Markdown-escaped), whitespace trimmed around tags.

Values are data, never template source, and an undefined variable is an error in every kind.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from services.markdown import markdown_escape as markdown_escape  # its home; re-exported for the bot
from services.ports import Attachment, Email

if TYPE_CHECKING:
    from jinja2 import Environment

ROOT = Path(__file__).resolve().parent.parent
CARDS = ROOT / "cards"
EMAILS = ROOT / "templates" / "email"
PAGES = ROOT / "templates" / "pages"
DASHBOARD = ROOT / "templates" / "dashboard"
DOCUMENTS = ROOT / "templates" / "postmortem"
STATUS = ROOT / "templates" / "status"


def _json_literal(value: Any) -> str:
    """Every ``{{ value }}`` in a card becomes a JSON literal: quoted, escaped, never raw markup."""
    from jinja2 import Undefined

    if isinstance(value, Undefined):
        str(value)  # StrictUndefined raises here, naming the missing variable
    return json.dumps(value, ensure_ascii=False)


@cache
def card_environment() -> Environment:
    import jinja2  # on first use: cold start is import time

    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(CARDS),
        undefined=jinja2.StrictUndefined,
        finalize=_json_literal,
        autoescape=False,  # noqa: S701 - card values are JSON-escaped by finalize; HTML escaping would corrupt them
        keep_trailing_newline=True,
    )
    environment.filters["md"] = markdown_escape
    return environment


def render_card(name: str, **data: Any) -> dict[str, Any]:
    """Render ``cards/<name>.json.j2`` and parse it, so a broken template fails loudly here."""
    text = card_environment().get_template(f"{name}.json.j2").render(**data)
    card = json.loads(text)
    if not isinstance(card, dict) or card.get("type") != "AdaptiveCard":
        raise ValueError(f"cards/{name}.json.j2 did not render an AdaptiveCard")
    return card


@cache
def email_environment() -> Environment:
    """HTML escaped for HTML, text left as text; an undefined variable is an error in both."""
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(EMAILS), undefined=jinja2.StrictUndefined,
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",), default_for_string=False, default=False),
        keep_trailing_newline=True)


@cache
def page_environment() -> Environment:
    """Action-link pages, legal pages and the dashboard."""
    import jinja2

    return jinja2.Environment(loader=jinja2.FileSystemLoader([PAGES, DASHBOARD]), undefined=jinja2.StrictUndefined,
                              autoescape=True)


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


@cache
def status_environment(kind: str) -> Environment:
    """The public status page: ``html`` (index.html.j2) or ``atom`` (feed.atom.j2); times shown in UTC."""
    import jinja2

    if kind not in ("html", "atom"):
        raise ValueError(f"no status page template environment for {kind!r}")
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(STATUS), undefined=jinja2.StrictUndefined,
                                     autoescape=True, trim_blocks=True, lstrip_blocks=True)
    environment.filters["iso"] = lambda at: _utc(at).isoformat(timespec="seconds").replace("+00:00", "Z")
    environment.filters["when"] = lambda at: _utc(at).strftime("%d %b %Y %H:%M UTC")
    environment.filters["day"] = lambda at: _utc(at).strftime("%d %b %Y")
    environment.filters["iso_day"] = lambda at: _utc(at).date().isoformat()
    return environment


def _markdown_value(value: Any) -> str:
    from jinja2 import Undefined
    from markupsafe import Markup

    if isinstance(value, Undefined):
        str(value)  # StrictUndefined raises here, naming the missing variable
    if isinstance(value, Markup):  # the document's own words (adapters/documents.py), never what people typed
        return str(value)
    return markdown_escape(str(value))


def _one_line(value: Any) -> str:
    """Table cells are one line: newlines and carriage returns become spaces."""
    return " ".join(str(value).split())


@cache
def document_environment(document_format: str) -> Environment:
    """The incident document: ``html`` autoescaped; ``md`` Markdown-escapes every value (Markdown is not HTML)."""
    import jinja2

    options: dict[str, Any] = {"loader": jinja2.FileSystemLoader(DOCUMENTS), "undefined": jinja2.StrictUndefined,
                               "keep_trailing_newline": True, "trim_blocks": True, "lstrip_blocks": True}
    if document_format == "html":
        environment = jinja2.Environment(autoescape=True, **options)
    else:
        environment = jinja2.Environment(autoescape=False, finalize=_markdown_value, **options)  # noqa: S701
    environment.filters["one_line"] = _one_line
    return environment


def render_email(name: str, **data: Any) -> tuple[str, str]:
    """The plain-text and the HTML part of ``templates/email/<name>``."""
    environment = email_environment()
    return (environment.get_template(f"{name}.txt.j2").render(**data),
            environment.get_template(f"{name}.html.j2").render(**data))


def compose_email(to: Sequence[str], subject: str, template: str, data: Mapping[str, Any],
                  attachments: Sequence[Attachment] = (), headers: Sequence[tuple[str, str]] = ()) -> Email:
    """The message every mailer sends for ``send_template``: both parts of ``templates/email/<template>``."""
    text, html = render_email(template, **data)
    return Email(to=tuple(to), subject=subject, text=text, html=html, attachments=tuple(attachments),
                 headers=tuple(headers))


class TemplateMailer:
    """``send_template`` (services.ports.Mailer) for a mailer that says how to ``send`` a composed message."""

    async def send(self, email: Email) -> None:
        raise NotImplementedError

    async def send_template(self, to: Sequence[str], subject: str, template: str,
                            data: Mapping[str, Any], attachments: Sequence[Attachment] = (),
                            headers: Sequence[tuple[str, str]] = ()) -> Email:
        email = compose_email(to, subject, template, data, attachments, headers)
        await self.send(email)
        return email
