"""The Azure Functions app: creates the FunctionApp and registers the blueprints, nothing else.

Nothing here does I/O or imports heavy packages: cold start on Azure Functions is import time.
"""

import azure.functions as func

from functions.health import blueprint as health
from functions.messages import blueprint as messages
from functions.timers import blueprint as timers

app = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)

for blueprint in (health, messages, timers):
    app.register_functions(blueprint)
