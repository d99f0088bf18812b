"""Assessment queries; reads follow the enrolment's tenancy."""

from collections.abc import Sequence
from uuid import UUID

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.enrolment.assessments.models import Assessment
from services.enrolment.catalogue.models import TrainingModule
from services.enrolment.cohorts.models import Cohort, CohortEnterprise
from services.enrolment.delivery.models import ModuleProgress
from services.enrolment.lifecycle.models import Enrolment
from services.enrolment.tenancy import enrolment_visible
from services.enrolment.trainers.models import Trainer
from shared.enums import Role
from shared.identity import Principal
from shared.pagination import PageRequest, keyset_page


class AssessmentRepository:
    async def get(
        self, session: AsyncSession, assessment_id: UUID, *, principal: Principal
    ) -> tuple[Assessment, Enrolment] | None:
        if principal.role is Role.lead_buyer:
            return None  # a buyer sees a supplier's stage, not its assessments
        statement = (
            select(Assessment, Enrolment)
            .join(Enrolment, col(Enrolment.id) == col(Assessment.enrolment_id))
            .where(Assessment.id == assessment_id, enrolment_visible(principal))
        )
        row = (await session.exec(statement)).first()
        return None if row is None else (row[0], row[1])

    async def for_enrolment(
        self, session: AsyncSession, enrolment_id: UUID, *, page: PageRequest
    ) -> list[Assessment]:
        statement = select(Assessment).where(Assessment.enrolment_id == enrolment_id)
        statement = keyset_page(statement, col(Assessment.id), page)
        return list((await session.exec(statement)).all())

    async def latest_with_priorities(
        self, session: AsyncSession, enrolment_id: UUID
    ) -> Assessment | None:
        statement = (
            select(Assessment)
            .where(Assessment.enrolment_id == enrolment_id, Assessment.priority_modules != [])
            .order_by(col(Assessment.assessed_on).desc(), col(Assessment.id).desc())
            .limit(1)
        )
        return (await session.exec(statement)).first()

    async def known_modules(self, session: AsyncSession, codes: Sequence[str]) -> set[str]:
        statement = select(TrainingModule.code).where(col(TrainingModule.code).in_(codes))
        return set((await session.exec(statement)).all())

    async def modules_taken(self, session: AsyncSession, enterprise_id: UUID) -> set[str]:
        """Modules the enterprise is in a cohort of, or has progress in."""
        by_progress = (
            select(TrainingModule.code)
            .join(ModuleProgress, col(ModuleProgress.module_id) == col(TrainingModule.id))
            .where(ModuleProgress.enterprise_id == enterprise_id)
        )
        by_cohort = (
            select(TrainingModule.code)
            .join(Cohort, col(Cohort.module_id) == col(TrainingModule.id))
            .join(CohortEnterprise, col(CohortEnterprise.cohort_id) == col(Cohort.id))
            .where(CohortEnterprise.enterprise_id == enterprise_id)
        )
        taken = set((await session.exec(by_progress)).all())
        return taken | set((await session.exec(by_cohort)).all())

    async def trainer(self, session: AsyncSession, trainer_id: UUID) -> Trainer | None:
        """Unscoped: to check a reference inside a write whose access was checked."""
        return (await session.exec(select(Trainer).where(Trainer.id == trainer_id))).first()


assessment_repository = AssessmentRepository()
