"""Uploaded files checked before they are kept, and kept files served back.

Nothing the caller says about a file is trusted: its type is sniffed from its bytes
(``puremagic``), its name is only a label for the download, images are decoded and
encoded anew with Pillow (which drops EXIF, GPS positions included, and anything hidden
after the image data) and refused beyond a pixel budget (decompression bombs).
"""

import asyncio
import hashlib
import unicodedata
import warnings
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from io import BytesIO
from typing import Annotated
from urllib.parse import quote

import puremagic
from fastapi import UploadFile
from fastapi.responses import StreamingResponse
from PIL import Image, ImageOps, UnidentifiedImageError
from pydantic import AfterValidator, StringConstraints
from pydantic_core import PydanticCustomError

from shared.problems import InvalidInput, NotFound, Problem, UnsupportedMediaType, field_error
from shared.storage import FileMissing, FileStore, StorageSettings

READ_CHUNK = 64 * 1024
MAX_NAME_LENGTH = 200


@dataclass(frozen=True)
class FileKind:
    content_type: str
    extension: str
    # Pillow's format name for images, which are decoded and encoded anew.
    image_format: str | None = None


JPEG = FileKind("image/jpeg", "jpg", "JPEG")
PNG = FileKind("image/png", "png", "PNG")
WEBP = FileKind("image/webp", "webp", "WEBP")
PDF = FileKind("application/pdf", "pdf")
IMAGES = (JPEG, PNG, WEBP)


def _no_control_characters(value: str) -> str:
    if any(unicodedata.category(ch) == "Cc" for ch in value):
        raise PydanticCustomError(
            "no_control_characters", "may not hold control characters (NUL, line breaks...)"
        )
    return value


# A short text sent beside a file in a multipart form (the JSON body's NUL check does not
# see forms, and PostgreSQL cannot store NUL).
Caption = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=2, max_length=300),
    AfterValidator(_no_control_characters),
]


class PayloadTooLarge(Problem):
    status = 413
    type_slug = "payload-too-large"
    title = "Payload too large"


@dataclass(frozen=True)
class CheckedFile:
    """A file fit to keep: the bytes to store (re-encoded for images) and what they are."""

    data: bytes
    kind: FileKind
    file_name: str
    sha256: str

    @property
    def size(self) -> int:
        return len(self.data)


def safe_file_name(raw: str | None, *, field: str, kind: FileKind) -> str:
    """The caller's file name as a download label: its last path segment, with the
    extension of what the bytes really are. Control characters (NUL...) are refused."""
    name = (raw or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    if any(unicodedata.category(ch) in ("Cc", "Cf") for ch in name):
        raise InvalidInput(
            "The file name holds control characters",
            errors=[
                field_error(
                    f"{field}.filename",
                    "no_control_characters",
                    "a file name may not hold control characters (NUL, line breaks...)",
                )
            ],
        )
    stem = name.rsplit(".", 1)[0] if "." in name else name
    stem = stem.strip(". ")[: MAX_NAME_LENGTH - 10] or "file"
    return f"{stem}.{kind.extension}"


def _sniff(data: bytes, allowed: tuple[FileKind, ...]) -> FileKind | None:
    try:
        candidates = puremagic.magic_string(data)
    except puremagic.PureError:
        return None
    found = {candidate.mime_type for candidate in candidates}
    return next((kind for kind in allowed if kind.content_type in found), None)


def _reencode(data: bytes, kind: FileKind, *, field: str, max_pixels: int) -> bytes:
    """The image decoded and encoded anew: pixels only, upright, no metadata."""
    assert kind.image_format is not None

    def refuse(rule: str, message: str) -> InvalidInput:
        return InvalidInput(
            "The image cannot be accepted", errors=[field_error(field, rule, message)]
        )

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(BytesIO(data), formats=[kind.image_format]) as image:
                # The header gives the size before any pixel is decoded.
                if image.width * image.height > max_pixels:
                    raise refuse(
                        "max_pixels",
                        f"an image may have at most {max_pixels} pixels "
                        f"({image.width} x {image.height} sent)",
                    )
                image.load()
                upright = ImageOps.exif_transpose(image)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise refuse("max_pixels", f"an image may have at most {max_pixels} pixels") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise refuse("image_format", f"not a readable {kind.content_type} image") from exc
    if kind is JPEG and upright.mode not in ("RGB", "L"):
        upright = upright.convert("RGB")
    out = BytesIO()
    # No exif= or icc_profile= given: the new file carries no metadata at all.
    upright.save(out, format=kind.image_format, quality=90)
    return out.getvalue()


async def check_upload(
    upload: UploadFile,
    *,
    field: str,
    allowed: tuple[FileKind, ...],
    settings: StorageSettings,
) -> CheckedFile:
    """The upload read (within the size limit), sniffed, re-encoded if an image, hashed."""
    limit = settings.max_upload_bytes
    chunks: list[bytes] = []
    received = 0
    while chunk := await upload.read(READ_CHUNK):
        received += len(chunk)
        if received > limit:
            raise PayloadTooLarge(
                f"A file may be at most {limit} bytes",
                errors=[field_error(field, "max_size", f"at most {limit} bytes")],
                limit_bytes=limit,
            )
        chunks.append(chunk)
    data = b"".join(chunks)
    if not data:
        raise InvalidInput(
            "The file is empty", errors=[field_error(field, "not_empty", "send a non-empty file")]
        )
    kind = _sniff(data, allowed)
    if kind is None:
        accepted = ", ".join(k.content_type for k in allowed)
        raise UnsupportedMediaType(
            f"The file's content is not one of: {accepted}",
            errors=[
                field_error(
                    field,
                    "content_type",
                    f"the bytes must be one of {accepted} (the declared type and the "
                    "extension are not trusted)",
                )
            ],
        )
    file_name = safe_file_name(upload.filename, field=field, kind=kind)
    if kind.image_format is not None:
        data = await asyncio.to_thread(
            _reencode, data, kind, field=field, max_pixels=settings.max_image_pixels
        )
    return CheckedFile(
        data=data, kind=kind, file_name=file_name, sha256=hashlib.sha256(data).hexdigest()
    )


@asynccontextmanager
async def kept(store: FileStore, key: str, file: CheckedFile) -> AsyncIterator[None]:
    """Store the file for the block's database writes; if they fail, the file goes too,
    so a refused write leaves no orphan behind."""
    await store.put(key, file.data)
    try:
        yield
    except BaseException:
        await store.delete(key)
        raise


def content_disposition(file_name: str) -> str:
    """``attachment`` with an ASCII fallback and the exact name in RFC 5987 form."""
    fallback = unicodedata.normalize("NFKD", file_name).encode("ascii", "ignore").decode() or "file"
    fallback = fallback.replace('"', "").replace("\\", "")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(file_name)}"


async def download(
    store: FileStore, *, key: str, content_type: str, file_name: str, sha256: str
) -> StreamingResponse:
    """A kept file streamed from the store. Call only once the caller may see its owner."""
    try:
        chunks = await store.open(key)
    except FileMissing as exc:
        raise NotFound("The file is no longer stored") from exc
    return StreamingResponse(
        chunks,
        media_type=content_type,
        headers={
            "Content-Disposition": content_disposition(file_name),
            "X-Content-Type-Options": "nosniff",
            "ETag": f'"{sha256}"',
            "Cache-Control": "private, no-cache",
        },
    )
