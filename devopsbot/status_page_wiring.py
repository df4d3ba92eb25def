"""How the composition root publishes the status page: to the storage account's static website (Azurite's
blob service locally), in memory for tests, or to a store a test hands in. Nothing is imported until the
first publication: the blob SDK and the templates cost nothing at cold start."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from devopsbot.settings import Settings
from incident.status_page import StatusPage
from services.status_page_ports import MaintenanceWindows, PublicRecords, StatusFiles, StatusPagePublishing
from services.subscription_ports import Subscriptions
from services.subscription_tokens import SubscriptionSigner
from services.subscriptions import SUBSCRIBE_PATH

if TYPE_CHECKING:
    from adapters.table_storage import TableStore

WEBSITE_CONTAINER = "$web"


def _renderer(subscribe_url: str) -> Callable[[StatusPage, int], Mapping[str, tuple[bytes, str]]]:
    def render(page: StatusPage, history_days: int) -> Mapping[str, tuple[bytes, str]]:
        from adapters.status_files import status_page_files

        return status_page_files(page, history_days, subscribe_url=subscribe_url)

    return render


def _signer(settings: Settings) -> SubscriptionSigner | None:
    """Subscription links are signed with the action-link key (under their own domain); none: no form."""
    if not settings.action_link_key:
        return None
    return SubscriptionSigner(settings.action_link_key, previous_key=settings.action_link_previous_key)


def status_page_publishing(settings: Settings, in_memory: bool, files: StatusFiles | None = None,
                           container: str = WEBSITE_CONTAINER, *,
                           store: Callable[[], TableStore]) -> StatusPagePublishing:
    def connect() -> StatusFiles:
        if files is not None:
            return files
        if in_memory:
            from adapters.memory_status_files import MemoryStatusFiles

            return MemoryStatusFiles()
        from adapters.blob_status_files import BlobStatusFiles, blob_service

        s = settings
        service = blob_service(s.storage_connection_string, s.storage_account_url, s.storage_client_id)
        return BlobStatusFiles(service, container, public_read=bool(s.storage_connection_string))

    def records() -> PublicRecords:
        if in_memory:
            from adapters.memory_status_files import MemoryPublicRecords

            return MemoryPublicRecords()
        from adapters.table_public_records import TablePublicRecords

        return TablePublicRecords(store())

    def windows() -> MaintenanceWindows:
        if in_memory:
            from adapters.memory_status_files import MemoryMaintenanceWindows

            return MemoryMaintenanceWindows()
        from adapters.table_maintenance import TableMaintenanceWindows

        return TableMaintenanceWindows(store())

    def subscriptions() -> Subscriptions:
        if in_memory:
            from adapters.memory_subscriptions import MemorySubscriptions

            return MemorySubscriptions()
        from adapters.table_subscriptions import TableSubscriptions

        return TableSubscriptions(store())

    signer = _signer(settings)
    subscribe_url = f"{settings.public_url}{SUBSCRIBE_PATH}" if signer is not None else ""
    return StatusPagePublishing(connect, records, _renderer(subscribe_url), windows,
                                subscriptions=subscriptions, signer=signer)
