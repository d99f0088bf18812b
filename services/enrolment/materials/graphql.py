"""Training materials in the graph (read only: files go over REST multipart)."""

from datetime import datetime
from typing import Self

import strawberry

from services.enrolment.graphql.context import GraphQLContext
from services.enrolment.materials.schemas import MaterialPublic, MaterialVersionPublic
from services.enrolment.materials.service import material_service
from shared.graphql import list_size
from shared.problems import NotFound

Info = strawberry.Info[GraphQLContext, None]


@strawberry.type(description="One uploaded version of a training material")
class TrainingMaterialVersion:
    version: int
    note: str | None
    content_type: str
    size_bytes: int
    sha256: str
    file_name: str
    download_path: str = strawberry.field(description="GET it through the gateway, streamed")
    created_at: datetime

    @classmethod
    def from_model(cls, material_id: str, row: MaterialVersionPublic) -> Self:
        return cls(
            version=row.version,
            note=row.note,
            content_type=row.content_type,
            size_bytes=row.size_bytes,
            sha256=row.sha256,
            file_name=row.file_name,
            download_path=f"/enrolment/materials/{material_id}/versions/{row.version}/file",
            created_at=row.created_at,
        )


@strawberry.type(description="A training material of a module in one language")
class TrainingMaterial:
    id: strawberry.ID
    module_code: str
    language: str = strawberry.field(description="ISO 639-1")
    title: str
    versions: list[TrainingMaterialVersion] = strawberry.field(description="Newest first")

    @classmethod
    def from_model(cls, material: MaterialPublic) -> Self:
        return cls(
            id=strawberry.ID(str(material.id)),
            module_code=material.module_code,
            language=material.language,
            title=material.title,
            versions=[
                TrainingMaterialVersion.from_model(str(material.id), row)
                for row in material.versions
            ],
        )


async def training_materials(
    info: Info, module_code: str, language: str | None = None
) -> list[TrainingMaterial]:
    async with info.context.database() as session:
        try:
            found = await material_service.get_for_module(
                session, module_code, language=None if language is None else language.lower()
            )
        except NotFound:
            return []
    return [TrainingMaterial.from_model(material) for material in found]


@strawberry.type
class MaterialQueries:
    training_materials: list[TrainingMaterial] | None = strawberry.field(
        resolver=training_materials,
        description="A module's training materials (of one language if given), with versions",
        directives=[list_size(assumed=10)],
    )
