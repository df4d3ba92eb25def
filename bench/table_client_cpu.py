"""CPU per Table Storage call: azure-data-tables' async TableClient against devopsbot's lean client
(adapters/table_http.py), one after the other in the same process on the same Azurite, rounds alternated.

Run: .venv/bin/python bench/table_client_cpu.py [rounds]
Prints, per operation (get, upsert, create+delete, a 20-row query, a 5-row transaction), the process's CPU
milliseconds per call for each client and their ratio.
"""

from __future__ import annotations

import asyncio
import resource
import sys
import tempfile
from collections import defaultdict
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from devopsbot.bootstrap import STORAGE_CLIENT_OPTIONS  # noqa: E402
from devopsbot.local.stack import azurite_connection_string  # noqa: E402
from tests.support.processes import start_azurite  # noqa: E402

CALLS = 300


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def operations(table: Any) -> dict[str, Callable[[int], Awaitable[Any]]]:
    async def get(n: int) -> Any:
        return await table.get_entity("p", "r")

    async def upsert(n: int) -> Any:
        return await table.upsert_entity({"PartitionKey": "p", "RowKey": f"u{n % 50}", "v": n, "s": "x" * 50})

    async def create_delete(n: int) -> Any:
        await table.create_entity({"PartitionKey": "c", "RowKey": f"c{n}", "v": n})
        await table.delete_entity("c", f"c{n}")

    async def query(n: int) -> Any:
        return [e async for e in table.query_entities("PartitionKey eq @pk", parameters={"pk": "q"})]

    async def transaction(n: int) -> Any:
        return await table.submit_transaction(
            [("upsert", {"PartitionKey": "b", "RowKey": f"r{j}", "v": n, "s": "y" * 40}) for j in range(5)])

    return {"get_entity": get, "upsert_entity": upsert, "create+delete": create_delete,
            "query (20 rows)": query, "transaction (5 upserts)": transaction}


async def main(port: int, rounds: int) -> None:
    from azure.data.tables.aio import TableServiceClient

    from adapters.table_http import LeanTableClient, lean_account

    options = {**STORAGE_CLIENT_OPTIONS, "use_env_settings": False}
    service = TableServiceClient.from_connection_string(azurite_connection_string(port), **options)
    await service.create_table("benchcpu")
    sdk = service.get_table_client("benchcpu")
    account = lean_account(service, options)
    assert account is not None
    lean = LeanTableClient(account, "benchcpu")
    await sdk.upsert_entity({"PartitionKey": "p", "RowKey": "r", "v": 1})
    for n in range(20):
        await sdk.upsert_entity({"PartitionKey": "q", "RowKey": f"q{n:02d}", "v": n, "s": "z" * 40})
    clients = {"sdk": operations(sdk), "lean": operations(lean)}
    spent: dict[tuple[str, str], float] = defaultdict(float)
    for ops in clients.values():  # warm both
        for op in ops.values():
            for n in range(20):
                await op(n)
    for _ in range(rounds):
        for name, ops in clients.items():
            for label, op in ops.items():
                start = cpu()
                for n in range(CALLS):
                    await op(n)
                spent[(name, label)] += cpu() - start
    print(f"CPU ms per call, {rounds} rounds x {CALLS} calls, clients alternated")
    print(f"{'operation':26} {'SDK':>8} {'lean':>8} {'ratio':>6}")
    for label in clients["sdk"]:
        sdk_ms = spent[("sdk", label)] / (rounds * CALLS) * 1000
        lean_ms = spent[("lean", label)] / (rounds * CALLS) * 1000
        print(f"{label:26} {sdk_ms:8.3f} {lean_ms:8.3f} {lean_ms / sdk_ms:6.2f}")
    await account.close()
    await sdk.close()
    await service.close()


if __name__ == "__main__":
    azurite, azurite_port = start_azurite(Path(tempfile.mkdtemp()))
    try:
        asyncio.run(main(azurite_port, int(sys.argv[1]) if len(sys.argv) > 1 else 3))
    finally:
        azurite.stop()
