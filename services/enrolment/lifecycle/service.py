"""Enrolment lifecycle: an enterprise's stage in a project, moved only by allowed transitions."""

from uuid import UUID

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.enrolment.db import changes, utcnow
from services.enrolment.enterprises.models import Enterprise
from services.enrolment.lifecycle.machine import check_transition
from services.enrolment.lifecycle.models import Enrolment, StageTransition
from shared.enums import LifecycleStage
from shared.events import StageChanged
from shared.identity import Principal
from shared.problems import TransitionNotAllowed


def _actor(principal: Principal) -> str:
    return f"{principal.role.value}:{principal.subject}"


class LifecycleService:
    async def ensure_enrolment(
        self,
        session: AsyncSession,
        *,
        project_id: UUID,
        enterprise_id: UUID,
        principal: Principal,
        reason: str | None = None,
    ) -> Enrolment:
        """The enterprise's enrolment in the project, created at expression_of_interest."""
        existing = (
            await session.exec(
                select(Enrolment).where(
                    Enrolment.project_id == project_id, Enrolment.enterprise_id == enterprise_id
                )
            )
        ).first()
        if existing is not None:
            return existing
        enrolment = Enrolment(
            project_id=project_id,
            enterprise_id=enterprise_id,
            stage=LifecycleStage.expression_of_interest,
        )
        session.add(enrolment)
        await session.flush()
        await self._record(session, enrolment, None, principal=principal, reason=reason)
        return enrolment

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
                actor=_actor(principal),
            )
        )
        partner_id = (
            await session.exec(
                select(Enterprise.partner_id).where(Enterprise.id == enrolment.enterprise_id)
            )
        ).first()
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
