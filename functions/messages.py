"""POST /api/messages: the Bot Framework endpoint Teams (or the Agents Playground) calls."""

from __future__ import annotations

import azure.functions as func

from functions.http_errors import error_response, json_response, parse_json_object

blueprint = func.Blueprint()

MAX_BODY = 256 * 1024  # Teams activities are far smaller; refuse anything huge before parsing


# Anonymous at the Functions level on purpose: Bot Framework JWT validation is the gate.
@blueprint.route(route="messages", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
async def messages(req: func.HttpRequest) -> func.HttpResponse:
    if len(req.get_body()) > MAX_BODY:
        return json_response({"error": f"the body is larger than {MAX_BODY} bytes"}, 413)
    body = parse_json_object(req)
    if isinstance(body, func.HttpResponse):
        return body
    from devopsbot.bootstrap import get_container
    from devopsbot.warmup import process_warm_up
    from services.tracing_ports import traced

    await process_warm_up().ensure()  # warm already, or waits for the warm-up in flight, or warms now
    try:
        container = get_container()
        # One operation for the turn: its command, its reactions and every log line they write.
        with traced("teams turn", attributes={"devopsbot.activity_type": str(body.get("type", ""))[:32]}):
            async with container.bus.answering():  # the person first, then the reactions to what they did
                result = await container.bot.handle(body, req.headers.get("Authorization", ""))
    except Exception as error:
        return error_response(error)
    if result.body is None:
        return func.HttpResponse(status_code=result.status)
    return json_response(result.body, result.status)
