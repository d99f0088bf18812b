"""The standard SCORE modules, as data (a migration loads them; tests and demos ensure them)."""

from dataclasses import asdict, dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from services.enrolment.catalogue.repository import module_repository
from shared.columns import utcnow
from shared.ids import new_id

FIRST_MODULE_CODE = "workplace_cooperation"


@dataclass(frozen=True)
class StandardModule:
    code: str
    name: str
    level: int
    classroom_days: int = 2
    active: bool = True
    replaced_by_code: str | None = None


STANDARD_MODULES: tuple[StandardModule, ...] = (
    # Module 1 is the Level 1 short course every enterprise starts with.
    StandardModule(FIRST_MODULE_CODE, "Module 1: Workplace Cooperation", level=1),
    StandardModule("quality_management", "Module 2: Quality Management", level=2),
    StandardModule(
        "clean_production",
        "Module 3: Clean Production",
        level=2,
        active=False,
        replaced_by_code="score4climate",
    ),
    StandardModule("score4climate", "SCORE4Climate", level=2),
    StandardModule(
        "workforce_management", "Module 4: Workforce / Human Resource Management", level=2
    ),
    StandardModule("osh", "Module 5: Occupational Safety and Health", level=2),
    StandardModule("score_basics", "SCORE Basics", level=1, classroom_days=1),
    StandardModule("gender_equality", "Gender Equality", level=2),
    StandardModule("hospitality_coaching", "Hospitality Coaching (HoCo)", level=2),
    StandardModule("responsible_business", "Responsible Business", level=2),
    StandardModule("lean", "Lean", level=2),
    StandardModule("working_time", "Working Time", level=2),
)


async def ensure_standard_modules(session: AsyncSession) -> int:
    """Insert the standard modules that are missing; existing ones (maybe edited) stay as they are.

    Returns how many were inserted. Safe to run on every deployment.
    """
    return await module_repository.insert_missing(
        session,
        ({"id": new_id(), "created_at": utcnow(), **asdict(module)} for module in STANDARD_MODULES),
    )
