"""Suggestion queries; every read applies the caller's tenancy."""

from collections.abc import Sequence
from uuid import UUID

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.indicators.suggestions.models import Suggestion
from services.indicators.tenancy import enterprise_visible
from shared.identity import Principal
from shared.pagination import PageRequest, keyset_page


class SuggestionRepository:
    async def get(
        self,
        session: AsyncSession,
        suggestion_id: UUID,
        *,
        principal: Principal,
        lock: bool = False,
    ) -> Suggestion | None:
        statement = select(Suggestion).where(
            Suggestion.id == suggestion_id,
            enterprise_visible(Suggestion.enterprise_id, principal),
        )
        if lock:
            statement = statement.with_for_update()
        return (await session.exec(statement)).first()

    async def for_enterprise(
        self,
        session: AsyncSession,
        enterprise_id: UUID,
        *,
        page: PageRequest | None = None,
        status: str | None = None,
    ) -> list[Suggestion]:
        """The enterprise's suggestions (its visibility checked by the caller)."""
        statement = select(Suggestion).where(Suggestion.enterprise_id == enterprise_id)
        if status is not None:
            statement = statement.where(Suggestion.status == status)
        if page is None:
            statement = statement.order_by(col(Suggestion.id))
        else:
            statement = keyset_page(statement, col(Suggestion.id), page)
        return list((await session.exec(statement)).all())

    async def for_enterprises(
        self, session: AsyncSession, enterprise_ids: Sequence[UUID], *, principal: Principal
    ) -> dict[UUID, list[Suggestion]]:
        """Batched for GraphQL: each visible enterprise's suggestions (others: none)."""
        statement = (
            select(Suggestion)
            .where(
                col(Suggestion.enterprise_id).in_(set(enterprise_ids)),
                enterprise_visible(Suggestion.enterprise_id, principal),
            )
            .order_by(col(Suggestion.id))
        )
        found: dict[UUID, list[Suggestion]] = {
            enterprise_id: [] for enterprise_id in enterprise_ids
        }
        for suggestion in (await session.exec(statement)).all():
            found[suggestion.enterprise_id].append(suggestion)
        return found


suggestion_repository = SuggestionRepository()
