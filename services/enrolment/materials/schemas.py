"""Training material contracts."""

from datetime import datetime
from typing import Annotated
from uuid import UUID

import pycountry
from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError


def _language(code: str) -> str:
    if len(code) != 2 or pycountry.languages.get(alpha_2=code.lower()) is None:
        raise PydanticCustomError(
            "language_code", "{code!r} is not an ISO 639-1 language code", {"code": code}
        )
    return code.lower()


LanguageCode = Annotated[
    str, AfterValidator(_language), Field(description="ISO 639-1", examples=["ur", "fr"])
]


class MaterialCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    language: LanguageCode
    title: str = Field(min_length=2, max_length=200, examples=["SCORE4Climate trainer's guide"])


class MaterialVersionPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    version: int
    note: str | None
    content_type: str
    size_bytes: int
    sha256: str = Field(description="Of the stored file; also its ETag")
    file_name: str
    created_at: datetime


class MaterialPublic(BaseModel):
    id: UUID
    module_code: str
    language: str
    title: str
    created_at: datetime
    versions: list[MaterialVersionPublic] = Field(description="Newest first; every one kept")
