"""Consent to share an enterprise's SCORE status with named lead buyers: opt-in, withdrawable.

Tenancy reads the current consent, so a withdrawal hides the enterprise from the buyer in
the same transaction that records it.
"""

from uuid import UUID

from sqlmodel.ext.asyncio.session import AsyncSession

from services.enrolment.consent.models import Consent, ConsentEvent
from services.enrolment.consent.repository import consent_repository
from services.enrolment.consent.schemas import (
    ConsentEventPublic,
    ConsentGive,
    ConsentPublic,
    ConsentWithdraw,
)
from services.enrolment.db import changes
from services.enrolment.enterprises.models import Enterprise
from services.enrolment.enterprises.service import enterprise_service
from services.enrolment.organisations.repository import organisation_repository
from shared.columns import utcnow
from shared.enums import ConsentStatus, Role
from shared.events import ConsentChanged
from shared.identity import Principal
from shared.pagination import Page, PageRequest, make_page
from shared.problems import Forbidden, InvalidInput, NotFound, field_error

# The enterprise decides; its partner and the ILO may record the decision for it.
_CONSENT_CHANGERS = frozenset({Role.enterprise_user, Role.partner_staff, Role.ilo_global})


class ConsentService:
    async def _enterprise_or_404(
        self, session: AsyncSession, enterprise_id: UUID, *, principal: Principal
    ) -> Enterprise:
        return await enterprise_service.get_or_404(session, enterprise_id, principal=principal)

    async def _changeable_enterprise(
        self, session: AsyncSession, enterprise_id: UUID, *, principal: Principal
    ) -> Enterprise:
        # 404 before 403: a caller who cannot see the enterprise learns nothing about it.
        enterprise = await self._enterprise_or_404(session, enterprise_id, principal=principal)
        if principal.role not in _CONSENT_CHANGERS:
            raise Forbidden(f"A {principal.role.value} cannot change an enterprise's consent")
        return enterprise

    def _buyer_filter(self, principal: Principal) -> UUID | None:
        # A buyer learns about its own consent only, never whom else the supplier shares with.
        return principal.organisation_id if principal.role is Role.lead_buyer else None

    async def get_or_404(
        self,
        session: AsyncSession,
        enterprise_id: UUID,
        buyer_id: UUID,
        *,
        principal: Principal,
    ) -> Consent:
        enterprise = await self._enterprise_or_404(session, enterprise_id, principal=principal)
        own = self._buyer_filter(principal)
        consent = None
        if own is None or own == buyer_id:
            consent = await consent_repository.get(
                session, enterprise_id=enterprise.id, buyer_id=buyer_id
            )
        if consent is None:
            raise NotFound(f"Enterprise {enterprise_id} has no consent record for buyer {buyer_id}")
        return consent

    async def get(
        self,
        session: AsyncSession,
        enterprise_id: UUID,
        buyer_id: UUID,
        *,
        principal: Principal,
    ) -> ConsentPublic:
        consent = await self.get_or_404(session, enterprise_id, buyer_id, principal=principal)
        return ConsentPublic.model_validate(consent)

    async def get_all(
        self,
        session: AsyncSession,
        enterprise_id: UUID,
        *,
        principal: Principal,
        page: PageRequest,
    ) -> Page[ConsentPublic]:
        enterprise = await self._enterprise_or_404(session, enterprise_id, principal=principal)
        rows = await consent_repository.get_all(
            session,
            enterprise_id=enterprise.id,
            page=page,
            buyer_id=self._buyer_filter(principal),
        )
        return make_page(
            [ConsentPublic.model_validate(c) for c in rows], page.limit, lambda c: c.id
        )

    async def get_history(
        self,
        session: AsyncSession,
        enterprise_id: UUID,
        buyer_id: UUID,
        *,
        principal: Principal,
        page: PageRequest,
    ) -> Page[ConsentEventPublic]:
        consent = await self.get_or_404(session, enterprise_id, buyer_id, principal=principal)
        rows = await consent_repository.events(session, consent.id, page=page)
        return make_page(
            [ConsentEventPublic.model_validate(e) for e in rows], page.limit, lambda e: e.id
        )

    async def give(
        self,
        session: AsyncSession,
        enterprise_id: UUID,
        data: ConsentGive,
        *,
        principal: Principal,
    ) -> tuple[ConsentPublic, bool]:
        """Give consent to share with one lead buyer; returns it and whether the row is new.

        Giving again while given changes nothing and records nothing.
        """
        enterprise = await self._changeable_enterprise(session, enterprise_id, principal=principal)
        if not await organisation_repository.is_lead_buyer(session, data.buyer_id):
            raise InvalidInput(
                "Consent can only be given to a lead buyer",
                errors=[
                    field_error(
                        "body.buyer_id",
                        "lead_buyer",
                        "must be an existing lead buyer organisation",
                        str(data.buyer_id),
                    )
                ],
            )
        now = utcnow()
        created = await consent_repository.insert_given_if_absent(
            session,
            Consent(
                enterprise_id=enterprise.id,
                buyer_id=data.buyer_id,
                status=ConsentStatus.given,
                scope=data.scope,
                given_at=now,
                updated_at=now,
            ),
        )
        consent = await consent_repository.get(
            session, enterprise_id=enterprise.id, buyer_id=data.buyer_id, lock=True
        )
        assert consent is not None  # inserted above, or by a concurrent request
        if created:
            await self._record(session, consent, None, principal=principal, reason=data.reason)
        elif (
            ConsentStatus(consent.status) is not ConsentStatus.given or consent.scope != data.scope
        ):
            previous = ConsentStatus(consent.status)
            consent.status = ConsentStatus.given
            consent.scope = data.scope
            consent.given_at = now
            consent.withdrawn_at = None
            consent.updated_at = now
            session.add(consent)
            await session.flush()
            await self._record(session, consent, previous, principal=principal, reason=data.reason)
        return ConsentPublic.model_validate(consent), created

    async def withdraw(
        self,
        session: AsyncSession,
        enterprise_id: UUID,
        buyer_id: UUID,
        data: ConsentWithdraw,
        *,
        principal: Principal,
    ) -> ConsentPublic:
        """Withdraw consent; the buyer stops seeing the enterprise when this commits."""
        enterprise = await self._changeable_enterprise(session, enterprise_id, principal=principal)
        consent = await consent_repository.get(
            session, enterprise_id=enterprise.id, buyer_id=buyer_id, lock=True
        )
        if consent is None:
            raise NotFound(f"Enterprise {enterprise_id} has no consent record for buyer {buyer_id}")
        if ConsentStatus(consent.status) is ConsentStatus.given:
            now = utcnow()
            consent.status = ConsentStatus.withdrawn
            consent.withdrawn_at = now
            consent.updated_at = now
            session.add(consent)
            await session.flush()
            await self._record(
                session, consent, ConsentStatus.given, principal=principal, reason=data.reason
            )
        return ConsentPublic.model_validate(consent)

    async def _record(
        self,
        session: AsyncSession,
        consent: Consent,
        previous: ConsentStatus | None,
        *,
        principal: Principal,
        reason: str | None,
    ) -> None:
        status = ConsentStatus(consent.status)
        session.add(
            ConsentEvent(consent_id=consent.id, status=status, actor=principal.actor, reason=reason)
        )
        await session.flush()
        await changes.emit(
            session,
            ConsentChanged(
                consent_id=consent.id,
                enterprise_id=consent.enterprise_id,
                buyer_id=consent.buyer_id,
                status=status,
            ),
            principal=principal,
        )
        await changes.audit(
            session,
            principal=principal,
            action=f"consent.{status.value}",
            entity_type="consent",
            entity_id=consent.id,
            before={"status": previous.value} if previous is not None else None,
            after={
                "status": status.value,
                "scope": consent.scope,
                "buyer_id": str(consent.buyer_id),
            },
            reason=reason,
        )


consent_service = ConsentService()
