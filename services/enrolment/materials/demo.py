"""The demo's training materials library (`score seed --demo`): Module 1's trainer's guide
in English (two versions) and Urdu for the Karachi batch, drawn here as one-page PDFs so the
demo ships no files of its own."""

import io

from fastapi import UploadFile
from PIL import Image, ImageDraw
from sqlmodel.ext.asyncio.session import AsyncSession

from services.enrolment.materials.schemas import MaterialCreate
from services.enrolment.materials.service import material_service
from shared.identity import Principal
from shared.storage import FileStore, StorageSettings

MODULE = "workplace_cooperation"
# (language, title, one note per version)
MATERIALS = (
    ("en", "Module 1 trainer's guide", ("First edition", "Updated case studies")),
    ("ur", "Module 1 trainer's guide (Urdu)", ("Translated by EFP",)),
)


def _page(title: str, version: int) -> bytes:
    page = Image.new("RGB", (595, 842), (255, 255, 255))  # A4 at 72 dpi
    draw = ImageDraw.Draw(page)
    draw.rectangle((40, 40, 555, 120), outline=(0, 70, 140), width=3)
    draw.text((60, 70), f"SCORE - {title} - version {version}", fill=(0, 0, 0))
    out = io.BytesIO()
    page.save(out, format="PDF")
    return out.getvalue()


async def load_materials(
    session: AsyncSession, *, ilo: Principal, store: FileStore, storage: StorageSettings
) -> int:
    """The library's materials and their versions; the number of versions uploaded."""
    uploaded = 0
    for language, title, notes in MATERIALS:
        material = await material_service.create(
            session, MODULE, MaterialCreate(language=language, title=title), principal=ilo
        )
        for number, note in enumerate(notes, start=1):
            await material_service.add_version(
                session,
                material.id,
                upload=UploadFile(
                    io.BytesIO(_page(title, number)), filename=f"guide-{language}.pdf"
                ),
                note=note,
                store=store,
                storage=storage,
                principal=ilo,
            )
            uploaded += 1
    return uploaded
