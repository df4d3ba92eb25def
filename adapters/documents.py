"""The incident document rendered from its content: Markdown with every value escaped, HTML autoescaped.

Its own template environment (templates/postmortem/): values are data, never template source, so text like
``{{ 7*7 }}`` in a postmortem prints as typed; Markdown escapes every interpolated value (no planted links,
headings or HTML) and HTML escapes it for HTML.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from adapters.templates import ROOT, markdown_escape
from services.incident_document import IncidentDocument

if TYPE_CHECKING:
    from jinja2 import Environment

DOCUMENTS = ROOT / "templates" / "postmortem"
FORMATS = {"md": ("document.md.j2", "text/markdown; charset=utf-8"),
           "html": ("document.html.j2", "text/html; charset=utf-8")}


def _markdown_value(value: Any) -> str:
    from jinja2 import Undefined

    if isinstance(value, Undefined):
        str(value)  # StrictUndefined raises here, naming the missing variable
    return markdown_escape(str(value))


def _one_line(value: Any) -> str:
    """Table cells are one line: newlines and carriage returns become spaces."""
    return " ".join(str(value).split())


@cache
def _environment(kind: str) -> Environment:
    import jinja2  # on first use: cold start is import time

    options: dict[str, Any] = {"loader": jinja2.FileSystemLoader(DOCUMENTS), "undefined": jinja2.StrictUndefined,
                               "keep_trailing_newline": True, "trim_blocks": True, "lstrip_blocks": True}
    if kind == "html":
        environment = jinja2.Environment(autoescape=True, **options)
    else:
        # Markdown is not HTML: every value is Markdown-escaped by finalize instead.
        environment = jinja2.Environment(autoescape=False, finalize=_markdown_value, **options)  # noqa: S701
    environment.filters["one_line"] = _one_line
    return environment


def render_document(document: IncidentDocument, document_format: str) -> str:
    """The document as Markdown (``md``) or HTML (``html``)."""
    template, _ = FORMATS[document_format]
    return _environment(document_format).get_template(template).render(doc=document, i=document.incident)


def content_type(document_format: str) -> str:
    return FORMATS[document_format][1]
