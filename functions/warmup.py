"""The warmup trigger: the Functions host calls it on a new instance before sending it traffic (on the plans
that support it), so the first Teams request finds the app built."""

from __future__ import annotations

import azure.functions as func

blueprint = func.Blueprint()


@blueprint.function_name("warmup")  # the host looks for this name
@blueprint.warm_up_trigger(arg_name="context")
async def warmup(context: func.warmup.WarmUpContext) -> None:  # func.WarmUpContext is not exported (1.26)
    from devopsbot.warmup import warm_up_instance

    await warm_up_instance()
