"""The suggestion scheme register: suggestions with who made them (role and sex), the
decision, the reward paid and the savings; the scheme's yes/no indicator follows from it."""

from decimal import Decimal
from typing import Any
from uuid import UUID

from pydantic import ValidationError
from sqlmodel.ext.asyncio.session import AsyncSession

from services.indicators.db import changes
from services.indicators.improvement_projects.service import require_own_project
from services.indicators.replica.service import enterprise_or_404, require_recorder
from services.indicators.suggestions.models import Suggestion
from services.indicators.suggestions.repository import suggestion_repository
from services.indicators.suggestions.schemas import (
    SuggestionCreate,
    SuggestionPublic,
    SuggestionScheme,
    SuggestionState,
    SuggestionStatus,
    SuggestionUpdate,
)
from shared.columns import utcnow
from shared.enums import Sex
from shared.events import SuggestionChanged
from shared.identity import Principal
from shared.pagination import Page, PageRequest, make_page
from shared.problems import NotFound, invalid_from_pydantic

_STATE_FIELDS = set(SuggestionState.model_fields)


def _public(suggestion: Suggestion) -> SuggestionPublic:
    return SuggestionPublic.model_validate(suggestion)


def scheme_of(enterprise_id: UUID, rows: list[Suggestion]) -> SuggestionScheme:
    adopted = [s for s in rows if s.status == SuggestionStatus.adopted]
    # Money is summed per currency: amounts in different currencies never add up.
    savings: dict[str, Decimal] = {}
    rewards: dict[str, Decimal] = {}
    for suggestion in adopted:
        if suggestion.currency is None:
            continue
        currency = suggestion.currency
        savings[currency] = savings.get(currency, Decimal(0)) + (suggestion.savings or 0)
        rewards[currency] = rewards.get(currency, Decimal(0)) + (suggestion.reward_paid or 0)
    rewarded = sum(1 for s in adopted if s.reward_paid)
    return SuggestionScheme(
        enterprise_id=enterprise_id,
        submitted=len(rows),
        adopted=len(adopted),
        rejected=sum(1 for s in rows if s.status == SuggestionStatus.rejected),
        rewarded=rewarded,
        adopted_by_sex={sex: sum(1 for s in adopted if s.sex == sex) for sex in Sex},
        in_place=rewarded > 0,
        savings_by_currency=savings,
        rewards_by_currency=rewards,
    )


class SuggestionService:
    async def get(
        self, session: AsyncSession, suggestion_id: UUID, *, principal: Principal
    ) -> SuggestionPublic:
        return _public(await self._get_or_404(session, suggestion_id, principal=principal))

    async def get_for_enterprise(
        self,
        session: AsyncSession,
        enterprise_id: UUID,
        *,
        principal: Principal,
        page: PageRequest,
        status: SuggestionStatus | None = None,
    ) -> Page[SuggestionPublic]:
        await enterprise_or_404(session, enterprise_id, principal=principal)
        rows = await suggestion_repository.for_enterprise(
            session, enterprise_id, page=page, status=None if status is None else status.value
        )
        return make_page([_public(r) for r in rows], page.limit, lambda item: item.id)

    async def scheme(
        self, session: AsyncSession, enterprise_id: UUID, *, principal: Principal
    ) -> SuggestionScheme:
        await enterprise_or_404(session, enterprise_id, principal=principal)
        rows = await suggestion_repository.for_enterprise(session, enterprise_id)
        return scheme_of(enterprise_id, rows)

    async def create(
        self,
        session: AsyncSession,
        enterprise_id: UUID,
        data: SuggestionCreate,
        *,
        principal: Principal,
    ) -> SuggestionPublic:
        await enterprise_or_404(session, enterprise_id, principal=principal)
        require_recorder(principal, "record suggestions")
        await require_own_project(session, enterprise_id, data.improvement_project_id)
        suggestion = Suggestion(enterprise_id=enterprise_id, **data.model_dump())
        session.add(suggestion)
        await session.flush()
        public = _public(suggestion)
        await self._record(session, public, principal=principal, action="suggestion.created")
        return public

    async def update(
        self,
        session: AsyncSession,
        suggestion_id: UUID,
        data: SuggestionUpdate,
        *,
        principal: Principal,
    ) -> SuggestionPublic:
        suggestion = await self._get_or_404(session, suggestion_id, principal=principal, lock=True)
        require_recorder(principal, "change suggestions")
        before = _public(suggestion)
        merged: dict[str, Any] = before.model_dump(include=_STATE_FIELDS) | data.model_dump(
            exclude_unset=True
        )
        try:
            state = SuggestionState.model_validate(merged)
        except ValidationError as exc:
            raise invalid_from_pydantic(exc) from exc
        if state.model_dump() == before.model_dump(include=_STATE_FIELDS):
            return before
        await require_own_project(session, suggestion.enterprise_id, state.improvement_project_id)
        for field, value in state.model_dump().items():
            setattr(suggestion, field, value)
        suggestion.updated_at = utcnow()
        session.add(suggestion)
        await session.flush()
        after = _public(suggestion)
        action = "suggestion.decided" if after.status != before.status else "suggestion.updated"
        await self._record(session, after, principal=principal, action=action, before=before)
        return after

    async def _get_or_404(
        self,
        session: AsyncSession,
        suggestion_id: UUID,
        *,
        principal: Principal,
        lock: bool = False,
    ) -> Suggestion:
        found = await suggestion_repository.get(
            session, suggestion_id, principal=principal, lock=lock
        )
        if found is None:
            raise NotFound(f"Suggestion {suggestion_id} not found")
        return found

    async def _record(
        self,
        session: AsyncSession,
        public: SuggestionPublic,
        *,
        principal: Principal,
        action: str,
        before: SuggestionPublic | None = None,
    ) -> None:
        await changes.emit(
            session,
            SuggestionChanged(
                suggestion_id=public.id,
                **public.model_dump(mode="json", include=set(SuggestionChanged.model_fields)),
            ),
            principal=principal,
        )
        await changes.audit(
            session,
            principal=principal,
            action=action,
            entity_type="suggestion",
            entity_id=public.id,
            before=before,
            after=public,
        )


suggestion_service = SuggestionService()
