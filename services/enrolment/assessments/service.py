"""Assessments move the lifecycle: recording one is how an enterprise reaches the
initial_assessment, baseline_assessment and comprehensive_baseline stages (a bare
transition to them is refused), and its priority modules drive cohort planning."""

from uuid import UUID

from sqlmodel.ext.asyncio.session import AsyncSession

from services.enrolment.assessments.models import Assessment
from services.enrolment.assessments.repository import assessment_repository
from services.enrolment.assessments.schemas import (
    AssessmentCreate,
    AssessmentKind,
    AssessmentPublic,
    Finding,
    NextModule,
)
from services.enrolment.catalogue.standard import FIRST_MODULE_CODE
from services.enrolment.db import changes
from services.enrolment.enterprises.repository import enterprise_repository
from services.enrolment.lifecycle.machine import has_reached
from services.enrolment.lifecycle.models import Enrolment
from services.enrolment.lifecycle.service import lifecycle_service, require_stage_setter
from shared.columns import utcnow
from shared.enums import LifecycleStage, Role
from shared.events import AssessmentRecorded
from shared.identity import Principal
from shared.pagination import Page, PageRequest, make_page
from shared.problems import InvalidInput, NotFound, TransitionNotAllowed, field_error

S = LifecycleStage
# The stage each kind of assessment brings an enterprise to, and the stage it is done at.
REACHES: dict[AssessmentKind, tuple[LifecycleStage, LifecycleStage]] = {
    AssessmentKind.initial: (S.shortlisted, S.initial_assessment),
    AssessmentKind.baseline: (S.initial_assessment, S.baseline_assessment),
    AssessmentKind.comprehensive_baseline: (S.level2_interest, S.comprehensive_baseline),
}


async def _assessed_enrolment(
    session: AsyncSession, enrolment_id: UUID, *, principal: Principal, lock: bool = False
) -> Enrolment:
    """The enrolment, if the caller may see its assessments: a buyer sees a supplier's
    stage, never what its assessors found (answered as for an unknown enrolment)."""
    if principal.role is Role.lead_buyer:
        raise NotFound(f"Enrolment {enrolment_id} not found")
    return await lifecycle_service.get_or_404(session, enrolment_id, principal=principal, lock=lock)


def _public(assessment: Assessment, enrolment: Enrolment) -> AssessmentPublic:
    return AssessmentPublic(
        id=assessment.id,
        enrolment_id=enrolment.id,
        enterprise_id=enrolment.enterprise_id,
        project_id=enrolment.project_id,
        kind=AssessmentKind(assessment.kind),
        assessed_on=assessment.assessed_on,
        assessor=assessment.assessor,
        assessor_trainer_id=assessment.assessor_trainer_id,
        findings=[Finding.model_validate(f) for f in assessment.findings],
        priority_modules=list(assessment.priority_modules),
        notes=assessment.notes,
        recorded_by=assessment.recorded_by,
        created_at=assessment.created_at,
        stage=LifecycleStage(enrolment.stage),
    )


class AssessmentService:
    async def get(
        self, session: AsyncSession, assessment_id: UUID, *, principal: Principal
    ) -> AssessmentPublic:
        found = await assessment_repository.get(session, assessment_id, principal=principal)
        if found is None:
            raise NotFound(f"Assessment {assessment_id} not found")
        return _public(*found)

    async def get_all(
        self,
        session: AsyncSession,
        enrolment_id: UUID,
        *,
        principal: Principal,
        page: PageRequest,
    ) -> Page[AssessmentPublic]:
        enrolment = await _assessed_enrolment(session, enrolment_id, principal=principal)
        rows = await assessment_repository.for_enrolment(session, enrolment.id, page=page)
        return make_page([_public(a, enrolment) for a in rows], page.limit, lambda a: a.id)

    async def create(
        self,
        session: AsyncSession,
        enrolment_id: UUID,
        data: AssessmentCreate,
        *,
        principal: Principal,
    ) -> AssessmentPublic:
        enrolment = await _assessed_enrolment(session, enrolment_id, principal=principal, lock=True)
        require_stage_setter(principal, "record an assessment")
        await self._check(session, enrolment, data)
        done_at, reaches = REACHES[data.kind]
        current = LifecycleStage(enrolment.stage)
        moves = current is done_at
        if not moves and not has_reached(current, reaches):
            raise TransitionNotAllowed(
                f"A {data.kind.value} assessment is recorded at stage {done_at.value} (it "
                f"moves the enterprise to {reaches.value}) or later; current stage "
                f"{current.value}",
                current_stage=current.value,
                allowed_next_stages=[],
            )
        assessment = Assessment(
            enrolment_id=enrolment.id,
            kind=data.kind.value,
            assessed_on=data.assessed_on,
            assessor=data.assessor,
            assessor_trainer_id=data.assessor_trainer_id,
            findings=[f.model_dump(mode="json") for f in data.findings],
            priority_modules=list(data.priority_modules),
            notes=data.notes,
            recorded_by=principal.actor,
        )
        session.add(assessment)
        await session.flush()
        if moves:
            await lifecycle_service.transition(
                session,
                enrolment,
                reaches,
                principal=principal,
                reason=(
                    f"{data.kind.value} assessment of {data.assessed_on.isoformat()} by "
                    f"{data.assessor} (assessment {assessment.id})"
                ),
                by_system=True,
            )
        public = _public(assessment, enrolment)
        await changes.emit(
            session,
            AssessmentRecorded(
                assessment_id=assessment.id,
                enrolment_id=enrolment.id,
                enterprise_id=enrolment.enterprise_id,
                project_id=enrolment.project_id,
                kind=data.kind.value,
                assessed_on=data.assessed_on,
                priority_modules=public.priority_modules,
            ),
            principal=principal,
        )
        await changes.audit(
            session,
            principal=principal,
            action="assessment.recorded",
            entity_type="assessment",
            entity_id=assessment.id,
            after=public,
        )
        return public

    async def next_module(
        self, session: AsyncSession, enrolment_id: UUID, *, principal: Principal
    ) -> NextModule:
        """What cohort planning should offer the enterprise next: Module 1 first, then the
        latest assessment's priorities in order, skipping modules it already takes."""
        enrolment = await _assessed_enrolment(session, enrolment_id, principal=principal)
        taken = await assessment_repository.modules_taken(session, enrolment.enterprise_id)
        if FIRST_MODULE_CODE not in taken:
            return NextModule(
                enrolment_id=enrolment.id,
                module_code=FIRST_MODULE_CODE,
                reason="every enterprise starts with Module 1 (Workplace Cooperation)",
                assessment_id=None,
            )
        latest = await assessment_repository.latest_with_priorities(session, enrolment.id)
        if latest is None:
            return NextModule(
                enrolment_id=enrolment.id,
                module_code=None,
                reason="no assessment of this enrolment names priority modules yet",
                assessment_id=None,
            )
        for rank, code in enumerate(latest.priority_modules, start=1):
            if code not in taken:
                return NextModule(
                    enrolment_id=enrolment.id,
                    module_code=code,
                    reason=(
                        f"priority {rank} of the {latest.kind} assessment of "
                        f"{latest.assessed_on.isoformat()}, not yet taken"
                    ),
                    assessment_id=latest.id,
                )
        return NextModule(
            enrolment_id=enrolment.id,
            module_code=None,
            reason=f"every priority of the {latest.kind} assessment of "
            f"{latest.assessed_on.isoformat()} is taken",
            assessment_id=latest.id,
        )

    async def _check(
        self, session: AsyncSession, enrolment: Enrolment, data: AssessmentCreate
    ) -> None:
        errors = []
        if data.assessed_on > utcnow().date():
            errors.append(
                field_error(
                    "body.assessed_on",
                    "not_future",
                    "an assessment is recorded once done",
                    data.assessed_on.isoformat(),
                )
            )
        known = await assessment_repository.known_modules(session, data.priority_modules)
        seen: set[str] = set()
        for index, code in enumerate(data.priority_modules):
            where = f"body.priority_modules.{index}"
            if code not in known:
                errors.append(field_error(where, "module", "must be in the catalogue", code))
            elif code in seen:
                errors.append(field_error(where, "duplicate", "listed more than once", code))
            seen.add(code)
        if data.assessor_trainer_id is not None:
            trainer = await assessment_repository.trainer(session, data.assessor_trainer_id)
            partner = (
                await enterprise_repository.get_many_unscoped(session, [enrolment.enterprise_id])
            ).get(enrolment.enterprise_id)
            if trainer is None or partner is None or trainer.organisation_id != partner.partner_id:
                errors.append(
                    field_error(
                        "body.assessor_trainer_id",
                        "partner_trainer",
                        "must be a trainer of the enterprise's partner",
                        str(data.assessor_trainer_id),
                    )
                )
        if errors:
            raise InvalidInput("The assessment is not valid", errors=errors)


assessment_service = AssessmentService()
