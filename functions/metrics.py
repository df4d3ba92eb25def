"""GET /api/metrics: the process's counters and histograms in the Prometheus text format (function key in
Azure; each instance answers for itself, as a Prometheus target does)."""

from __future__ import annotations

import azure.functions as func

blueprint = func.Blueprint()


@blueprint.route(route="metrics", methods=["GET"], auth_level=func.AuthLevel.FUNCTION)
async def metrics(req: func.HttpRequest) -> func.HttpResponse:
    from adapters.process_metrics import CONTENT_TYPE, process_metrics

    return func.HttpResponse(process_metrics().exposition(), status_code=200, headers={"Content-Type": CONTENT_TYPE})
