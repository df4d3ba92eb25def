"""The public status page on Azure Blob Storage: the storage account's static website (the ``$web``
container), written with the Function's managed identity (Storage Blob Data Contributor) or, locally, to
Azurite's blob service. Each file carries the SHA-256 of its content in its metadata, so one listing tells
which files changed; uploads are conditional on the ETag listed, so two publishers never interleave."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from azure.core import MatchConditions
from azure.core.exceptions import ResourceExistsError, ResourceModifiedError

from adapters.table_storage import storage_errors
from incident.errors import ConcurrencyConflict
from services.status_page_ports import PublishedFile

if TYPE_CHECKING:
    from azure.storage.blob.aio import BlobServiceClient, ContainerClient

BLOB = "Blob Storage"
CACHE_CONTROL = "public, max-age=60"  # readers see a change within a minute; the CDN or browser may keep it that long


# A publication happens in the background: more patience than a person's request, still bounded.
CLIENT_OPTIONS: dict[str, Any] = {"connection_timeout": 2, "read_timeout": 10, "retry_total": 2,
                                  "retry_backoff_factor": 0.5, "retry_backoff_max": 2}


def blob_endpoint(table_endpoint: str) -> str:
    """The account's blob endpoint from its table endpoint (https://<account>.table.core.windows.net)."""
    return table_endpoint.replace(".table.", ".blob.", 1)


def with_blob_endpoint(connection_string: str) -> str:
    """A connection string naming its table endpoint but not its blob endpoint (an older local.settings.json)
    gets the blob endpoint beside it, never the public cloud's default: Azurite's blob port beside its table port,
    or the account's .blob. host beside its .table. host."""
    parts = dict(part.split("=", 1) for part in connection_string.split(";") if "=" in part)
    table = parts.get("TableEndpoint", "")
    if "BlobEndpoint" in parts or not table:
        return connection_string
    if ".table." in table:
        blob = blob_endpoint(table)
    elif ":10002/" in table:  # Azurite's default ports: table 10002, blob 10000
        blob = table.replace(":10002/", ":10000/", 1)
    else:
        return connection_string
    return f"{connection_string.rstrip(';')};BlobEndpoint={blob};"


def blob_service(connection_string: str, table_endpoint: str, client_id: str) -> BlobServiceClient:
    """The storage account's blob service: the connection string's (Azurite), or the managed identity's."""
    from azure.storage.blob.aio import BlobServiceClient

    if connection_string:
        return BlobServiceClient.from_connection_string(with_blob_endpoint(connection_string), **CLIENT_OPTIONS)
    from azure.identity.aio import ManagedIdentityCredential

    return BlobServiceClient(blob_endpoint(table_endpoint), credential=ManagedIdentityCredential(
        client_id=client_id or None), **CLIENT_OPTIONS)


class BlobStatusFiles:
    def __init__(self, service: BlobServiceClient, container: str,
                 public_read: bool = False) -> None:
        self.service = service
        self.container_name = container
        # Azurite has no static website: the container it creates is readable anonymously instead. In Azure
        # the static website serves $web, and the container itself stays private.
        self.public_read = public_read
        self._container: ContainerClient | None = None

    async def _client(self) -> ContainerClient:
        if self._container is None:
            container = self.service.get_container_client(self.container_name)
            async with storage_errors(f"creating the {self.container_name} container", BLOB):
                try:
                    await container.create_container(public_access="blob" if self.public_read else None)
                except ResourceExistsError:
                    pass
            self._container = container
        return self._container

    async def listing(self) -> dict[str, PublishedFile]:
        container = await self._client()
        found = {}
        async with storage_errors("listing the status page", BLOB):
            async for blob in container.list_blobs(include=["metadata"]):
                found[blob.name] = PublishedFile((blob.metadata or {}).get("sha256", ""), str(blob.etag))
        return found

    async def upload(self, name: str, content: bytes, content_type: str, sha256: str,
                     expected: PublishedFile | None) -> None:
        from azure.storage.blob import ContentSettings

        container = await self._client()
        condition: dict[str, Any] = (
            {"etag": expected.tag, "match_condition": MatchConditions.IfNotModified} if expected
            else {"match_condition": MatchConditions.IfMissing})
        async with storage_errors(f"publishing {name}", BLOB):
            try:
                await container.upload_blob(
                    name, content, overwrite=True, metadata={"sha256": sha256},
                    content_settings=ContentSettings(content_type=content_type, cache_control=CACHE_CONTROL),
                    **condition)
            except (ResourceModifiedError, ResourceExistsError) as error:
                raise ConcurrencyConflict(f"{name} was published by someone else meanwhile") from error

    async def close(self) -> None:
        credential = getattr(self.service, "credential", None)
        await self.service.close()
        if credential is not None and hasattr(credential, "close"):
            await credential.close()
