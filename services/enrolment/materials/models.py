"""A training material (one module, one language) and its versions, kept in the file store."""

from datetime import datetime
from uuid import UUID

from sqlalchemy import BigInteger, String, UniqueConstraint
from sqlmodel import Field

from services.enrolment.db import Table
from shared.columns import created_at_field
from shared.ids import new_id


class TrainingMaterial(Table, table=True):
    __tablename__ = "training_material"
    __table_args__ = (UniqueConstraint("module_id", "language", "title"),)

    id: UUID = Field(default_factory=new_id, primary_key=True)
    module_id: UUID = Field(foreign_key="training_module.id", index=True)
    # ISO 639-1
    language: str = Field(sa_type=String(2))
    title: str = Field(sa_type=String(200))
    created_at: datetime = created_at_field()


class TrainingMaterialVersion(Table, table=True):
    """One upload of a material; a new upload is a new version, older ones stay."""

    __tablename__ = "training_material_version"
    __table_args__ = (UniqueConstraint("material_id", "version"),)

    id: UUID = Field(default_factory=new_id, primary_key=True)
    material_id: UUID = Field(foreign_key="training_material.id", index=True)
    version: int
    note: str | None = Field(default=None, sa_type=String(300))
    storage_key: str = Field(sa_type=String(200), unique=True)
    content_type: str = Field(sa_type=String(100))
    size_bytes: int = Field(sa_type=BigInteger)
    sha256: str = Field(sa_type=String(64))
    file_name: str = Field(sa_type=String(200))
    uploaded_by: str = Field(sa_type=String(200))
    created_at: datetime = created_at_field()
