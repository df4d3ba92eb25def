"""The Azure Functions app: creates the FunctionApp and registers the blueprints, nothing else.

Nothing here does I/O or imports heavy packages: cold start on Azure Functions is import time.
"""

import azure.functions as func

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

app = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)

for blueprint in (health, messages, timers, dashboard, actions, documents, mailbox, roster_report, playbooks,
                  digest, legal, service_health, alerts, metrics, status_subscriptions):
    app.register_functions(blueprint)
