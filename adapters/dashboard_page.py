"""The dashboard page: ``templates/dashboard`` rendered by the pages environment, and its headers.

The page has no script and loads nothing from elsewhere; its one stylesheet is inline and allowed by
its hash, so the Content-Security-Policy can forbid everything else. It may be framed by Teams (a
static tab), so there is no X-Frame-Options and ``frame-ancestors`` names the Teams hosts.
"""

from __future__ import annotations

import base64
import hashlib
from functools import cache
from typing import Any

from adapters.templates import DASHBOARD, page_environment

# Where Teams (classic, new, web, Microsoft 365 app) hosts a static tab's iframe.
TEAMS_FRAME_ANCESTORS = ("https://teams.microsoft.com", "https://*.teams.microsoft.com", "https://*.office.com",
                         "https://*.cloud.microsoft")


@cache
def stylesheet() -> str:
    return (DASHBOARD / "dashboard.css").read_text(encoding="utf-8")


def content_security_policy(css: str) -> str:
    digest = base64.b64encode(hashlib.sha256(css.encode("utf-8")).digest()).decode("ascii")
    return "; ".join((
        "default-src 'none'",
        "img-src 'self' data:",  # the chart, and the empty data: favicon that spares a 404
        f"style-src 'sha256-{digest}'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'self' " + " ".join(TEAMS_FRAME_ANCESTORS),
    ))


def page_headers() -> dict[str, str]:
    return {
        "Content-Security-Policy": content_security_policy(stylesheet()),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",  # incident details: never kept by a shared cache
    }


def render_dashboard(language: str = "en", **data: Any) -> str:
    """The page in ``language`` ("fr" or "en", the reader's Accept-Language)."""
    from markupsafe import Markup

    # Our own stylesheet, inserted as is: the policy above allows exactly these bytes.
    css = Markup(stylesheet())  # noqa: S704 - a file of this repository, not user input
    return page_environment().get_template("dashboard.html.j2").render(css=css, language=language, **data)
