"""The file-storage interface against both backends (a local folder; S3 as served by moto's
server mode, standing in for the object store outside the platform), and the upload checks
every module's files pass."""

import hashlib
import io
import socket
import zlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import UploadFile
from moto.server import ThreadedMotoServer
from PIL import Image

from shared.problems import InvalidInput, UnsupportedMediaType
from shared.settings import Environment
from shared.storage import FileMissing, FileStore, StorageBackend, StorageSettings, make_store
from shared.storage import new_key as make_key
from shared.uploads import (
    IMAGES,
    JPEG,
    PDF,
    PNG,
    PayloadTooLarge,
    check_upload,
    content_disposition,
    kept,
)
from tests.enrolment.support import platform_settings

PDF_BYTES = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


def jpeg_with_gps(size: tuple[int, int] = (40, 30)) -> bytes:
    image = Image.new("RGB", size, (200, 10, 10))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {2: (24.0, 51.0, 36.0), 1: "N"}  # GPSInfo: a factory's position
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def png_bomb(side: int) -> bytes:
    """A tiny PNG file that declares ``side`` x ``side`` pixels (one-bit, all zero)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            len(body).to_bytes(4, "big") + kind + body + zlib.crc32(kind + body).to_bytes(4, "big")
        )

    header = side.to_bytes(4, "big") * 2 + bytes([1, 0, 0, 0, 0])
    rows = zlib.compress(b"\x00" * (side // 8 + 1) * 64)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")
    )


def upload(data: bytes, name: str = "photo.jpg") -> UploadFile:
    return UploadFile(io.BytesIO(data), filename=name)


def settings(tmp_path: Path, **overrides: Any) -> StorageSettings:
    return StorageSettings(path=tmp_path / "files", **overrides)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()  # returns once the server answers
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> FileStore:
    if request.param == "local":
        return make_store(settings(tmp_path))
    endpoint: str = request.getfixturevalue("s3_endpoint")
    bucket = f"score-{tmp_path.name.lower().replace('_', '-')}"[:60]
    # CreateBucket is a bare PUT; buckets are made by the operator, not by the platform.
    httpx.put(f"{endpoint}/{bucket}").raise_for_status()
    return make_store(
        StorageSettings(
            backend=StorageBackend.s3,
            bucket=bucket,
            endpoint=endpoint,
            access_key_id="testing",
            secret_access_key="testing",  # type: ignore[arg-type]
        )
    )


async def test_a_stored_file_streams_back_whole_and_is_gone_once_deleted(store: FileStore) -> None:
    key = make_key("tests/blob")
    data = bytes(range(256)) * 5000  # several stream chunks
    await store.put(key, data)
    assert await store.exists(key)
    chunks = [chunk async for chunk in await store.open(key)]
    assert b"".join(chunks) == data
    await store.delete(key)
    assert not await store.exists(key)
    with pytest.raises(FileMissing):
        await store.open(key)
    await store.delete(key)  # deleting twice is not an error


async def test_a_stream_can_be_stored_without_holding_it_whole(store: FileStore) -> None:
    async def parts() -> AsyncIterator[bytes]:
        for n in range(4):
            yield bytes([n]) * 1000

    key = make_key("tests/stream")
    await store.put(key, parts())
    assert await store.read(key) == b"".join(bytes([n]) * 1000 for n in range(4))


def test_keys_are_made_by_the_platform_and_never_repeat() -> None:
    keys = {make_key("indicators/photo") for _ in range(100)}
    assert len(keys) == 100
    assert all(key.startswith("indicators/photo/") and ".." not in key for key in keys)


def test_production_refuses_the_local_folder_and_s3_needs_a_bucket() -> None:
    production = platform_settings(environment=Environment.production)
    with pytest.raises(ValueError, match="SCORE_STORAGE_BACKEND=s3 is required in production"):
        StorageSettings(platform=production)
    with pytest.raises(ValueError, match="SCORE_STORAGE_BUCKET"):
        StorageSettings(backend=StorageBackend.s3)


async def test_a_photo_loses_its_exif_and_gps_position_and_keeps_its_pixels(tmp_path: Path) -> None:
    sent = jpeg_with_gps()
    assert Image.open(io.BytesIO(sent)).getexif()  # the phone's file carries it
    checked = await check_upload(
        upload(sent), field="body.photo", allowed=IMAGES, settings=settings(tmp_path)
    )
    kept_image = Image.open(io.BytesIO(checked.data))
    assert checked.kind is JPEG
    assert kept_image.size == (40, 30)
    assert not kept_image.getexif()
    assert b"PhoneMaker" not in checked.data
    assert checked.sha256 == hashlib.sha256(checked.data).hexdigest()


async def test_a_pdf_named_photo_jpg_is_refused_as_not_an_image(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedMediaType) as refused:
        await check_upload(
            upload(PDF_BYTES, "photo.jpg"),
            field="body.photo",
            allowed=IMAGES,
            settings=settings(tmp_path),
        )
    assert refused.value.errors is not None
    assert refused.value.errors[0]["field"] == "body.photo"
    assert refused.value.errors[0]["rule"] == "content_type"


async def test_a_real_pdf_is_named_by_what_it_is_not_by_what_it_claims(tmp_path: Path) -> None:
    checked = await check_upload(
        upload(PDF_BYTES, "../../etc/notes.exe"),
        field="body.file",
        allowed=(PDF,),
        settings=settings(tmp_path),
    )
    assert checked.kind is PDF
    assert checked.file_name == "notes.pdf"
    assert checked.data == PDF_BYTES


async def test_a_file_over_the_limit_is_refused_with_the_limit(tmp_path: Path) -> None:
    with pytest.raises(PayloadTooLarge) as refused:
        await check_upload(
            upload(PDF_BYTES + b"x" * 2000),
            field="body.file",
            allowed=(PDF,),
            settings=settings(tmp_path, max_upload_bytes=1000),
        )
    assert refused.value.status == 413
    assert refused.value.extensions["limit_bytes"] == 1000


async def test_a_decompression_bomb_is_refused_before_it_is_decoded(tmp_path: Path) -> None:
    bomb = png_bomb(30_000)  # 900 million pixels in a few hundred bytes
    assert len(bomb) < 5000
    with pytest.raises(InvalidInput) as refused:
        await check_upload(
            upload(bomb, "bomb.png"),
            field="body.photo",
            allowed=(PNG,),
            settings=settings(tmp_path),
        )
    assert refused.value.errors is not None
    assert refused.value.errors[0]["rule"] == "max_pixels"


async def test_a_nul_in_the_file_name_is_refused_naming_the_field(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as refused:
        await check_upload(
            upload(jpeg_with_gps(), "before\x00.jpg"),
            field="body.photo",
            allowed=IMAGES,
            settings=settings(tmp_path),
        )
    assert refused.value.errors is not None
    assert refused.value.errors[0]["field"] == "body.photo.filename"


async def test_a_failed_write_after_storing_leaves_no_orphan_file(tmp_path: Path) -> None:
    store = make_store(settings(tmp_path))
    checked = await check_upload(
        upload(PDF_BYTES, "a.pdf"), field="body.file", allowed=(PDF,), settings=settings(tmp_path)
    )
    key = make_key("tests/orphan")
    stored_during_write: list[bool] = []

    async def write_refused_by_the_database() -> None:
        async with kept(store, key, checked):
            stored_during_write.append(await store.exists(key))
            raise RuntimeError("the database refused the row")

    with pytest.raises(RuntimeError):
        await write_refused_by_the_database()
    assert stored_during_write == [True]
    assert not await store.exists(key)


def test_the_download_name_is_quoted_safely_for_every_client() -> None:
    header = content_disposition('Avant "après".jpg')
    assert header.startswith('attachment; filename="Avant apres.jpg"')
    assert "filename*=UTF-8''Avant%20%22apr%C3%A8s%22.jpg" in header
