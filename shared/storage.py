"""Where uploaded files live: outside the database, behind one small interface.

A folder under the data dir in development and tests, S3-compatible object storage in
production, both through ``obstore`` (one async API over the local file system and S3, so
the same code path runs in both; its Rust core streams without loading whole objects).
Keys are made by the platform (``new_key``), never from a caller's file name.
"""

from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Self

import obstore
from fastapi import Depends
from obstore.store import LocalStore, S3Store
from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.ids import new_id
from shared.settings import Environment, PlatformSettings

if TYPE_CHECKING:
    from obstore import BytesStream
    from obstore.store import ClientConfig, S3Config

# Chunks handed to a download's response: small enough to start sending at once.
STREAM_CHUNK = 256 * 1024


class StorageBackend(StrEnum):
    local = "local"
    s3 = "s3"


class StorageSettings(BaseSettings):
    """File storage (env prefix ``SCORE_STORAGE_``), read alike by every service that
    keeps files; each service writes under its own first key segment."""

    model_config = SettingsConfigDict(env_prefix="SCORE_STORAGE_", extra="ignore")

    backend: StorageBackend = StorageBackend.local
    # local: the folder files are kept in; unset, ``files`` under the data dir.
    path: Path | None = None
    # s3: the bucket, and for a store other than AWS (MinIO, Ceph...) its endpoint URL.
    bucket: str | None = None
    endpoint: str | None = None
    region: str = "us-east-1"
    # Unset: the usual AWS credential chain (instance role, web identity, environment).
    access_key_id: str | None = None
    secret_access_key: SecretStr | None = None
    # Largest upload accepted, in bytes (below the gateway's request body limit).
    max_upload_bytes: int = Field(default=8 * 1024 * 1024, gt=0)
    # Largest image accepted, in pixels: beyond it an image is refused as a decompression
    # bomb (a few KB of PNG can expand to gigabytes).
    max_image_pixels: int = Field(default=40_000_000, gt=0)
    platform: PlatformSettings = Field(default_factory=PlatformSettings)

    @model_validator(mode="after")
    def _object_storage_in_production(self) -> Self:
        production = self.platform.environment is Environment.production
        if production and self.backend is StorageBackend.local:
            raise ValueError(
                "SCORE_STORAGE_BACKEND=s3 is required in production; "
                "the local folder is for development and tests only"
            )
        if self.backend is StorageBackend.s3 and not self.bucket:
            raise ValueError("SCORE_STORAGE_BUCKET is required with SCORE_STORAGE_BACKEND=s3")
        return self

    @property
    def local_path(self) -> Path:
        return self.path or self.platform.data_dir / "files"


class FileMissing(Exception):
    """A key with no object behind it (deleted, or never written)."""


class FileStore:
    """Put, open, delete and test objects by key; nothing else is needed by the platform."""

    def __init__(self, store: LocalStore | S3Store) -> None:
        self._store = store

    async def put(self, key: str, data: bytes | AsyncIterable[bytes]) -> None:
        await obstore.put_async(self._store, key, data)

    async def open(self, key: str) -> AsyncIterator[bytes]:
        """The object's bytes as a stream; ``FileMissing`` (raised here, before any byte is
        sent) when there is none."""
        try:
            result = await obstore.get_async(self._store, key)
        except FileNotFoundError as exc:
            raise FileMissing(key) from exc
        return _chunks(result.stream(min_chunk_size=STREAM_CHUNK))

    async def read(self, key: str) -> bytes:
        try:
            result = await obstore.get_async(self._store, key)
        except FileNotFoundError as exc:
            raise FileMissing(key) from exc
        return bytes(await result.bytes_async())

    async def exists(self, key: str) -> bool:
        try:
            await obstore.head_async(self._store, key)
        except FileNotFoundError:
            return False
        return True

    async def older_than(self, prefix: str, moment: datetime) -> list[str]:
        """Keys under ``prefix`` last written before ``moment``."""
        found: list[str] = []
        async for batch in obstore.list(self._store, prefix):
            found += [meta["path"] for meta in batch if meta["last_modified"] < moment]
        return found

    async def delete(self, key: str) -> None:
        """Idempotent: deleting a missing key is not an error."""
        try:
            await obstore.delete_async(self._store, key)
        except FileNotFoundError:
            return


async def _chunks(stream: "BytesStream") -> AsyncIterator[bytes]:
    async for chunk in stream:
        yield bytes(chunk)


# Keys of the given ones that a row still names (a service's repository answers it).
ReferencedKeys = Callable[[list[str]], Awaitable[set[str]]]


async def sweep(
    store: FileStore, namespace: str, *, older_than: timedelta, referenced: ReferencedKeys
) -> int:
    """Delete the objects under ``namespace`` that no row names, once older than
    ``older_than`` (a younger one may belong to a write not yet committed). Uploads delete
    their file when their write fails; this catches what a crash between the file and the
    commit left. Answers how many were deleted."""
    candidates = await store.older_than(f"{namespace}/", datetime.now(UTC) - older_than)
    deleted = 0
    for start in range(0, len(candidates), 500):
        batch = candidates[start : start + 500]
        kept = await referenced(batch)
        for key in batch:
            if key not in kept:
                await store.delete(key)
                deleted += 1
    return deleted


def new_key(namespace: str) -> str:
    """A fresh key under ``namespace`` (``indicators/business-case-photo``...): time-ordered
    and unguessable, and never derived from anything the caller sent."""
    return f"{namespace}/{new_id()}"


def make_store(settings: StorageSettings) -> FileStore:
    if settings.backend is StorageBackend.local:
        settings.local_path.mkdir(parents=True, exist_ok=True)
        return FileStore(LocalStore(settings.local_path, mkdir=True))
    config: S3Config = {"region": settings.region}
    if settings.endpoint:
        config["endpoint"] = settings.endpoint
    if settings.access_key_id and settings.secret_access_key:
        config["access_key_id"] = settings.access_key_id
        config["secret_access_key"] = settings.secret_access_key.get_secret_value()
    # A private endpoint inside the cluster may speak plain HTTP.
    client: ClientConfig = {"allow_http": bool(settings.endpoint)}
    return FileStore(S3Store(settings.bucket, config=config, client_options=client))


@lru_cache
def storage_settings() -> StorageSettings:
    """The process's storage settings (a FastAPI dependency: tests override it)."""
    return StorageSettings()


# One store per configuration: its client holds connections worth reusing.
_stores: dict[str, FileStore] = {}


def file_store(settings: Annotated[StorageSettings, Depends(storage_settings)]) -> FileStore:
    identity = settings.model_dump_json()
    if identity not in _stores:
        _stores[identity] = make_store(settings)
    return _stores[identity]


StorageDep = Annotated[StorageSettings, Depends(storage_settings)]
FileStoreDep = Annotated[FileStore, Depends(file_store)]
