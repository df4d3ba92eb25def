"""Stakeholder subscriptions in memory, for tests and the in-memory host."""

from __future__ import annotations

from dataclasses import dataclass, field

from services.subscription_ports import Subscription


@dataclass
class MemorySubscriptions:
    rows: dict[tuple[str, str], Subscription] = field(default_factory=dict)

    async def get(self, component: str, address: str) -> Subscription | None:
        return self.rows.get((component, address))

    async def put(self, subscription: Subscription) -> None:
        self.rows[(subscription.component, subscription.address)] = subscription

    async def remove(self, component: str, address: str) -> None:
        self.rows.pop((component, address), None)

    async def of_component(self, component: str) -> list[Subscription]:
        return [s for (c, _), s in self.rows.items() if c == component]

    async def of_address(self, address: str) -> list[Subscription]:
        return [s for (_, a), s in self.rows.items() if a == address]

    async def every(self) -> list[Subscription]:
        return list(self.rows.values())
