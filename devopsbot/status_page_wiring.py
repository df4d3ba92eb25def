"""How the composition root publishes the status page: to the storage account's static website (Azurite's
blob service locally), in memory for tests, or to a store a test hands in. Nothing is imported until the
first publication: the blob SDK and the templates cost nothing at cold start."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from devopsbot.settings import Settings
from incident.status_page import StatusPage
from services.status_page_ports import MaintenanceWindows, PublicRecords, StatusFiles, StatusPagePublishing

if TYPE_CHECKING:
    from adapters.table_storage import TableStore

WEBSITE_CONTAINER = "$web"


def _render(page: StatusPage, history_days: int) -> Mapping[str, tuple[bytes, str]]:
    from adapters.status_files import status_page_files

    return status_page_files(page, history_days)


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

    return StatusPagePublishing(connect, records, _render, windows)
