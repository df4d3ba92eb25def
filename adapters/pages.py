"""Plain HTML pages served to people outside Teams (email action links): autoescaped, no scripts."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jinja2 import Environment

PAGES = Path(__file__).resolve().parent.parent / "templates" / "pages"

# No script may run and nothing loads from elsewhere; the form posts only back here.
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
                               "frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",  # the token is in the URL: never leak it onward
    "Cache-Control": "no-store",
}


@cache
def page_environment() -> Environment:
    import jinja2

    return jinja2.Environment(loader=jinja2.FileSystemLoader(PAGES), undefined=jinja2.StrictUndefined,
                              autoescape=True)


def render_page(name: str, **data: Any) -> str:
    return page_environment().get_template(f"{name}.html.j2").render(**data)
