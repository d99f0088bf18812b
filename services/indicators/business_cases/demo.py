"""The Karachi batch's business cases for `score seed --demo` (seed 002, key step 8): each
factory's 5S project told with a before and an after photo, drawn here so the demo needs
no image files of its own."""

import io
from decimal import Decimal
from uuid import UUID

from fastapi import UploadFile
from PIL import Image, ImageDraw
from sqlmodel.ext.asyncio.session import AsyncSession

from services.indicators.business_cases.schemas import BusinessCaseCreate, PhotoStage
from services.indicators.business_cases.service import business_case_service
from services.indicators.improvement_projects.schemas import ProjectCreate, ProjectStatus
from services.indicators.improvement_projects.service import improvement_project_service
from shared.identity import Principal
from shared.storage import FileStore, StorageSettings

# enterprise: (what piled up, what was done, the result, savings in PKR a year)
CASES: dict[str, tuple[str, str, str, int]] = {
    "Indus Knitwear (Pvt) Ltd": (
        "Offcuts and rejected pieces piled up beside the sewing lines and blocked the aisle",
        "5S: colour-coded bins at each line, emptied twice a shift; aisles marked in yellow",
        "Searching time per shift down from 40 to 10 minutes; the aisle stays clear",
        240_000,
    ),
    "Korangi Apparel Industries": (
        "Unlabelled thread cones mixed on open shelves; wrong shades reached the lines",
        "Shelves labelled by shade with a visual stock card; a daily 5-minute check",
        "Shade mix-ups down from 12 to 2 a month",
        180_000,
    ),
    "Port Qasim Garments": (
        "Cartons stacked against the fire exit of the finishing hall",
        "A marked carton zone away from exits; the EIT checks it every Monday",
        "Exit clear at every audit since; rework from crushed cartons stopped",
        95_000,
    ),
}


def _photo(stage: PhotoStage, seed: int) -> bytes:
    """A shop floor drawn from above: clutter before, tidy rows of bins after."""
    image = Image.new("RGB", (320, 200), (214, 214, 204))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 90, 320, 110), fill=(240, 200, 40))  # the aisle's markings
    if stage is PhotoStage.before:
        for n in range(14):
            x, y = (n * 53 + seed * 17) % 290, (n * 37 + seed * 29) % 170
            draw.rectangle((x, y, x + 30, y + 24), fill=(150, 110, 70), outline=(90, 60, 30))
    else:
        for n, colour in enumerate([(200, 40, 40), (40, 120, 200), (40, 160, 80)] * 3):
            x = 20 + n * 33
            draw.rectangle((x, 30, x + 24, 70), fill=colour, outline=(30, 30, 30))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85)
    return out.getvalue()


async def load_business_cases(
    session: AsyncSession,
    enterprises: dict[str, UUID],
    *,
    partner: Principal,
    store: FileStore,
    storage: StorageSettings,
) -> int:
    """Each factory's 5S project and its business case with two photos; the count made."""
    made = 0
    for seed, (name, (problem, action, result, savings)) in enumerate(CASES.items()):
        if name not in enterprises:
            continue
        project = await improvement_project_service.create(
            session,
            enterprises[name],
            ProjectCreate(
                module_code="workplace_cooperation",
                title="5S on the shop floor",
                category="five_s",
                status=ProjectStatus.planned,
            ),
            principal=partner,
        )
        case = await business_case_service.create(
            session,
            enterprises[name],
            BusinessCaseCreate(
                improvement_project_id=project.id,
                title="5S on the shop floor",
                problem=problem,
                action_taken=action,
                result=result,
                savings=Decimal(savings),
                currency="PKR",
            ),
            principal=partner,
        )
        for stage, caption in (
            (PhotoStage.before, "Before 5S"),
            (PhotoStage.after, "After 5S, three months on"),
        ):
            await business_case_service.add_photo(
                session,
                case.id,
                stage=stage,
                caption=caption,
                upload=UploadFile(io.BytesIO(_photo(stage, seed)), filename=f"{stage.value}.jpg"),
                store=store,
                storage=storage,
                principal=partner,
            )
        made += 1
    return made
