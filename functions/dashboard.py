"""GET /api/dashboard (an HTML page, also a Teams static tab) and GET /api/dashboard/chart.svg (its chart).

Anonymous at the Functions level: in Azure, App Service Authentication (Entra ID) stands in front of
the whole app, and a Teams tab cannot send a function key; the page also refuses a request whose caller
no verifiable source names (functions.signed_in). Locally the page is open.
"""

from __future__ import annotations

import azure.functions as func

from functions.http_errors import error_response
from functions.signed_in import caller, sign_in_missing

blueprint = func.Blueprint()
REFRESH_SECONDS = 60
CHART_PATH = "dashboard/chart.svg"  # relative to /api/dashboard, so it works under any host and prefix


@blueprint.route(route="dashboard", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
async def dashboard(req: func.HttpRequest) -> func.HttpResponse:
    from adapters.dashboard_page import page_headers, render_dashboard
    from adapters.weekly_chart import WEEKLY_CHART_SIZE, weekly_chart_description, weekly_chart_rows
    from devopsbot.bootstrap import get_container
    from functions.accept_language import preferred_language
    from services.dashboard import load_dashboard, page_data

    try:
        container = get_container()
        if (refused := await sign_in_missing(req, container)) is not None:
            return refused
        viewer = await caller(req, container)  # a security incident's details only for its people
        data = await load_dashboard(container.dependencies)
    except Exception as error:
        return error_response(error)
    width, height = WEEKLY_CHART_SIZE
    language = preferred_language(req.headers.get("Accept-Language"))
    html = render_dashboard(**page_data(data, container.policy, viewer), language=language,
                            refresh_seconds=REFRESH_SECONDS,
                            chart_url=CHART_PATH, chart_width=width, chart_height=height,
                            chart_description=weekly_chart_description(data.report.weeks, language),
                            chart_rows=weekly_chart_rows(data.report.weeks))
    return func.HttpResponse(html, status_code=200, mimetype="text/html", charset="utf-8",
                             headers={**page_headers(), "Content-Language": language})


@blueprint.route(route=CHART_PATH, methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
async def dashboard_chart(req: func.HttpRequest) -> func.HttpResponse:
    """SVG: sharp at any zoom and shown in an <img>, where it can run nothing (email gets the PNG)."""
    import asyncio

    from adapters.weekly_chart import render_weekly_chart
    from devopsbot.bootstrap import get_container
    from services.reporting import build_report, recent_weeks

    try:
        container = get_container()
        if (refused := await sign_in_missing(req, container)) is not None:
            return refused
        deps = container.dependencies
        since, until = recent_weeks(deps.clock.now())
        report = await build_report(deps, since, until, with_timelines=False)
    except Exception as error:
        return error_response(error)
    svg = await asyncio.to_thread(render_weekly_chart, report.weeks, "svg")  # the host keeps answering meanwhile
    # Opened on its own, the SVG is a document: it may style itself and nothing else (it has no script).
    return func.HttpResponse(svg, status_code=200, mimetype="image/svg+xml",
                             headers={"Cache-Control": "private, max-age=60", "X-Content-Type-Options": "nosniff",
                                      "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"})
