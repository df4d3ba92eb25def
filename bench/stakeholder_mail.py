"""Notifying 2,000 stakeholders: calls made and time taken, batched against one call per recipient.

Both transports, each against a local server on 127.0.0.1: Graph's sendMail through the project's Graph
client and the local Graph double (msal's real token flow through the identity double), and SMTP
against aiosmtpd. "Batched" is what devopsbot does (Bcc batches of 500, one SMTP connection);
"per recipient" sends the same message once to each person. Prints calls and seconds for both and
their ratios, measured in this one run.
Run: .venv/bin/python bench/stakeholder_mail.py [--recipients 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from adapters.graph import GraphClient, GraphIdentity, MsalTokens  # noqa: E402
from adapters.graph_mail import GraphMailer  # noqa: E402
from adapters.smtp_mailer import SmtpMailer  # noqa: E402
from tests.support.graph import IdentityDouble, running_graph  # noqa: E402
from tests.support.smtp import smtp_server  # noqa: E402

T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
VIEW: dict[str, Any] = {
    "id": "INC-2026-0001", "severity": "SEV1", "status": "investigating", "restricted": False,
    "title": "Checkout failing", "summary": "", "roles": [{"name": "Incident commander", "person": "Alice"}],
    "latest_update": "Rolling back release 42", "latest_update_at": T0, "declared_at": T0, "space_url": "",
    "language": "en", "replies": False, "actions": [],
    "page_url": "https://bot.example/api/incidents/INC-2026-0001/document?format=html",
    "dashboard_url": "https://bot.example/api/dashboard"}


async def timed(send: Any) -> float:
    started = time.perf_counter()
    await send()
    return time.perf_counter() - started


async def graph_figures(people: list[str]) -> tuple[int, float, int, float]:
    async with running_graph() as double:
        identity = IdentityDouble()
        tokens = MsalTokens(GraphIdentity(mode="secret", client_id="aaaaaaaa-0000-0000-0000-00000000c11e",
                                          tenant_id=identity.tenant, client_secret="bench",  # noqa: S106 - a local double
                                          authority_host=identity.authority_host), http_client=identity)
        client = GraphClient(tokens, base_url=double.url)
        mailer = GraphMailer(client, sender="incidents@contoso.example")
        data = {"view": VIEW, "message": "Status update"}
        await mailer.send_template(people[:1], "warm-up", "alert", data)  # token and connection, outside timing
        double.sent_mail.clear()
        batched = await timed(lambda: mailer.send_template(people, "[INC-2026-0001] SEV1 update", "alert", data))
        batched_calls = len(double.sent_mail)
        double.sent_mail.clear()

        async def one_each() -> None:
            for person in people:
                await mailer.send_template([person], "[INC-2026-0001] SEV1 update", "alert", data)

        single = await timed(one_each)
        single_calls = len(double.sent_mail)
        await client.close()
    return batched_calls, batched, single_calls, single


async def smtp_figures(people: list[str]) -> tuple[int, float, int, float]:
    with smtp_server() as inbox:
        mailer = SmtpMailer(host="127.0.0.1", port=inbox.port, sender="incidents@contoso.example")
        data = {"view": VIEW, "message": "Status update"}
        batched = await timed(lambda: mailer.send_template(people, "[INC-2026-0001] SEV1 update", "alert", data))
        batched_calls = len(inbox.messages)
        inbox.messages.clear()

        async def one_each() -> None:
            for person in people:
                await mailer.send_template([person], "[INC-2026-0001] SEV1 update", "alert", data)

        single = await timed(one_each)
        single_calls = len(inbox.messages)
    return batched_calls, batched, single_calls, single


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=2000)
    args = parser.parse_args()
    people = [f"stakeholder{n}@contoso.example" for n in range(args.recipients)]
    for name, figures in (("Graph sendMail", graph_figures), ("SMTP", smtp_figures)):
        batched_calls, batched, single_calls, single = asyncio.run(figures(people))
        print(f"{name}: {args.recipients} recipients")
        print(f"  batched:       {batched_calls:5d} calls  {batched:7.3f} s")
        print(f"  per recipient: {single_calls:5d} calls  {single:7.3f} s")
        print(f"  ratio batched/per recipient: calls {batched_calls / single_calls:.4f}, time {batched / single:.4f}")


if __name__ == "__main__":
    main()
