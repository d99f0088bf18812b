"""Enrolment lifecycle: an enterprise's stage in a project, moved only by allowed transitions."""

from collections.abc import Sequence
from uuid import UUID

from sqlmodel.ext.asyncio.session import AsyncSession

from services.enrolment.db import changes
from services.enrolment.enterprises.repository import enterprise_repository
from services.enrolment.lifecycle.machine import check_transition
from services.enrolment.lifecycle.models import Enrolment, StageTransition
from services.enrolment.lifecycle.repository import enrolment_repository
from services.enrolment.lifecycle.schemas import (
    EnrolmentCreate,
    EnrolmentPublic,
    StageTransitionPublic,
    TransitionCreate,
)
from services.enrolment.organisations.repository import project_repository
from shared.columns import utcnow
from shared.enums import LifecycleStage, Role
from shared.events import StageChanged
from shared.identity import Principal
from shared.pagination import Page, PageRequest, make_page
from shared.problems import Forbidden, InvalidInput, NotFound, TransitionNotAllowed, field_error

# Who moves enterprises through the programme; tenancy narrows it to the manager's project
# and the partner's own enterprises.
_STAGE_SETTERS = frozenset({Role.ilo_global, Role.programme_manager, Role.partner_staff})


def require_stage_setter(principal: Principal, action: str) -> None:
    if principal.role not in _STAGE_SETTERS:
        raise Forbidden(f"A {principal.role.value} cannot {action}")


_require_stage_setter = require_stage_setter


class LifecycleService:
    async def get_or_404(
        self,
        session: AsyncSession,
        enrolment_id: UUID,
        *,
        principal: Principal,
        lock: bool = False,
    ) -> Enrolment:
        enrolment = await enrolment_repository.get(
            session, enrolment_id, principal=principal, lock=lock
        )
        if enrolment is None:
            raise NotFound(f"Enrolment {enrolment_id} not found")
        return enrolment

    async def get(
        self, session: AsyncSession, enrolment_id: UUID, *, principal: Principal
    ) -> EnrolmentPublic:
        enrolment = await self.get_or_404(session, enrolment_id, principal=principal)
        return EnrolmentPublic.build(enrolment)

    async def get_all(
        self,
        session: AsyncSession,
        *,
        principal: Principal,
        page: PageRequest,
        project_id: UUID | None = None,
        enterprise_id: UUID | None = None,
        stage: LifecycleStage | None = None,
    ) -> Page[EnrolmentPublic]:
        rows = await enrolment_repository.get_all(
            session,
            principal=principal,
            page=page,
            project_id=project_id,
            enterprise_id=enterprise_id,
            stage=stage,
        )
        return make_page([EnrolmentPublic.build(e) for e in rows], page.limit, lambda e: e.id)

    async def for_enterprises(
        self, session: AsyncSession, enterprise_ids: Sequence[UUID], *, principal: Principal
    ) -> dict[UUID, list[EnrolmentPublic]]:
        """Each enterprise's enrolments the caller may see (a programme manager: only in
        their project, as in REST)."""
        found = await enrolment_repository.for_enterprises(
            session, enterprise_ids, principal=principal
        )
        return {
            enterprise_id: [EnrolmentPublic.build(enrolment) for enrolment in enrolments]
            for enterprise_id, enrolments in found.items()
        }

    async def get_transitions(
        self,
        session: AsyncSession,
        enrolment_id: UUID,
        *,
        principal: Principal,
        page: PageRequest,
    ) -> Page[StageTransitionPublic]:
        enrolment = await self.get_or_404(session, enrolment_id, principal=principal)
        rows = await enrolment_repository.transitions(session, enrolment.id, page=page)
        return make_page(
            [StageTransitionPublic.model_validate(t) for t in rows], page.limit, lambda t: t.id
        )

    async def create(
        self, session: AsyncSession, data: EnrolmentCreate, *, principal: Principal
    ) -> tuple[EnrolmentPublic, bool]:
        """Register an expression of interest without a call; the existing one if present.

        Returns the enrolment and whether it was created by this call.
        """
        _require_stage_setter(principal, "register an expression of interest")
        # Same answer for "does not exist" and "not yours": no existence leak.
        errors = []
        if not await project_repository.is_visible(session, data.project_id, principal=principal):
            errors.append(
                field_error(
                    "body.project_id",
                    "visible_project",
                    "must be a project you manage or take part in",
                    str(data.project_id),
                )
            )
        elif not await enrolment_repository.enterprise_enrollable(
            session, data.enterprise_id, project_id=data.project_id, principal=principal
        ):
            errors.append(
                field_error(
                    "body.enterprise_id",
                    "enrollable_enterprise",
                    "must be an enterprise you may enrol in this project",
                    str(data.enterprise_id),
                )
            )
        if errors:
            raise InvalidInput(
                "The enrolment references an unknown project or enterprise", errors=errors
            )
        before = await enrolment_repository.find(
            session, project_id=data.project_id, enterprise_id=data.enterprise_id
        )
        if before is not None:
            return EnrolmentPublic.build(before), False
        # Created by this call only if its insert made it: a concurrent first request for the
        # same pair may have, since the look-up above (it answered 201 to both).
        enrolment, created = await self._insert_if_absent(
            session,
            project_id=data.project_id,
            enterprise_id=data.enterprise_id,
            principal=principal,
            reason=data.reason,
        )
        return EnrolmentPublic.build(enrolment), created

    async def change_stage(
        self,
        session: AsyncSession,
        enrolment_id: UUID,
        data: TransitionCreate,
        *,
        principal: Principal,
    ) -> EnrolmentPublic:
        """A person moves the enrolment on; the machine refuses what the programme forbids."""
        enrolment = await self.get_or_404(session, enrolment_id, principal=principal, lock=True)
        _require_stage_setter(principal, "change an enrolment's stage")
        enrolment = await self.transition(
            session,
            enrolment,
            data.to_stage,
            principal=principal,
            reason=data.reason,
            consent_form_reference=data.consent_form_reference,
            by_system=False,
        )
        return EnrolmentPublic.build(enrolment)

    async def ensure_enrolment(
        self,
        session: AsyncSession,
        *,
        project_id: UUID,
        enterprise_id: UUID,
        principal: Principal,
        reason: str | None = None,
    ) -> Enrolment:
        """The enterprise's enrolment in the project, created at expression_of_interest.

        Insert-or-nothing, then read: two first requests for the same pair at once both
        get the one enrolment instead of one of them failing on the unique constraint.
        """
        enrolment, _ = await self._insert_if_absent(
            session,
            project_id=project_id,
            enterprise_id=enterprise_id,
            principal=principal,
            reason=reason,
        )
        return enrolment

    async def _insert_if_absent(
        self,
        session: AsyncSession,
        *,
        project_id: UUID,
        enterprise_id: UUID,
        principal: Principal,
        reason: str | None,
    ) -> tuple[Enrolment, bool]:
        enrolment, created = await enrolment_repository.insert_if_absent(
            session, project_id=project_id, enterprise_id=enterprise_id
        )
        if created:
            await self._record(session, enrolment, None, principal=principal, reason=reason)
        return enrolment, created

    async def transition(
        self,
        session: AsyncSession,
        enrolment: Enrolment,
        target: LifecycleStage,
        *,
        principal: Principal,
        reason: str | None = None,
        consent_form_reference: str | None = None,
        by_system: bool = False,
    ) -> Enrolment:
        """Move to ``target`` or raise 409 naming the current stage and the allowed ones.

        ``by_system`` is for the platform's own screening and shortlisting, never for a
        request body to set.
        """
        # Stored as text: the column gives back a str, the machine speaks enum.
        current = LifecycleStage(enrolment.stage)
        if current is target:
            return enrolment  # re-screening to the same outcome is not a transition
        refusal = check_transition(
            current,
            target,
            by_system=by_system,
            consent_form_reference=consent_form_reference or enrolment.consent_form_reference,
        )
        if refusal is not None:
            raise TransitionNotAllowed(
                refusal.detail,
                current_stage=refusal.current.value,
                allowed_next_stages=[s.value for s in refusal.allowed],
            )
        previous = current
        enrolment.stage = target
        enrolment.updated_at = utcnow()
        if consent_form_reference:
            enrolment.consent_form_reference = consent_form_reference
        session.add(enrolment)
        await session.flush()
        await self._record(session, enrolment, previous, principal=principal, reason=reason)
        return enrolment

    async def _record(
        self,
        session: AsyncSession,
        enrolment: Enrolment,
        previous: LifecycleStage | None,
        *,
        principal: Principal,
        reason: str | None,
    ) -> None:
        session.add(
            StageTransition(
                enrolment_id=enrolment.id,
                from_stage=previous,
                to_stage=enrolment.stage,
                reason=reason,
                actor=principal.actor,
            )
        )
        partner_id = await enterprise_repository.partner_id(session, enrolment.enterprise_id)
        await changes.emit(
            session,
            StageChanged(
                enrolment_id=enrolment.id,
                enterprise_id=enrolment.enterprise_id,
                project_id=enrolment.project_id,
                partner_id=partner_id,
                from_stage=previous,
                to_stage=enrolment.stage,
                reason=reason,
            ),
            principal=principal,
        )
        await changes.audit(
            session,
            principal=principal,
            action="enrolment.stage_changed",
            entity_type="enrolment",
            entity_id=enrolment.id,
            before={"stage": previous.value if previous else None},
            after={"stage": LifecycleStage(enrolment.stage).value},
            reason=reason,
        )


lifecycle_service = LifecycleService()
