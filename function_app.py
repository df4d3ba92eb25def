"""The Azure Functions app: creates the FunctionApp and registers the blueprints, nothing else.

Nothing here does I/O or imports heavy packages: cold start on Azure Functions is import time. Under the
Functions worker, the last line starts the warm-up in a background thread (devopsbot/warmup.py).
"""

import os

import azure.functions as func

from devopsbot.warmup import warm_in_background_under_functions_host
from functions.actions import blueprint as actions
from functions.alerts import blueprint as alerts
from functions.dashboard import blueprint as dashboard
from functions.digest import blueprint as digest
from functions.documents import blueprint as documents
from functions.health import blueprint as health
from functions.legal import blueprint as legal
from functions.mailbox import blueprint as mailbox
from functions.messages import blueprint as messages
from functions.metrics import blueprint as metrics
from functions.playbooks import blueprint as playbooks
from functions.roster_report import blueprint as roster_report
from functions.service_health import blueprint as service_health
from functions.status_subscriptions import blueprint as status_subscriptions
from functions.timers import blueprint as timers
from functions.warmup import blueprint as warmup

app = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)

for blueprint in (health, messages, timers, dashboard, actions, documents, mailbox, roster_report, playbooks,
                  digest, legal, service_health, alerts, metrics, status_subscriptions, warmup):
    app.register_functions(blueprint)

# The warmup trigger is called only when the platform scales out (and not on every plan): under the Functions
# worker the same warm-up also starts here, in the background, whatever started the instance.
warm_in_background_under_functions_host(os.environ)
