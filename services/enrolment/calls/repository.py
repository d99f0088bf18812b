"""Call, criteria-version and application queries; application reads apply enterprise tenancy."""

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, Literal
from uuid import UUID

from sqlalchemy import UnaryExpression, and_, func, or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.enrolment.calls.models import Application, Call, CriteriaVersion
from services.enrolment.tenancy import application_visible, call_visible
from shared.enums import ApplicationOutcome
from shared.identity import Principal
from shared.pagination import PageRequest, keyset_page

ApplicationOrder = Literal["submitted", "ranked"]


def _rank_order() -> tuple[UnaryExpression[Any], ...]:
    # Best score first; on a tie the earlier application wins; the id makes it total.
    return (
        col(Application.priority_score).desc(),
        col(Application.submitted_at).asc(),
        col(Application.id).asc(),
    )


class CallRepository:
    async def get(
        self,
        session: AsyncSession,
        call_id: UUID,
        *,
        principal: Principal,
        lock: Literal["share", "update"] | None = None,
    ) -> Call | None:
        statement = select(Call).where(Call.id == call_id, call_visible(principal))
        if lock is not None:
            # Applying shares the lock; a criteria change or a shortlist takes it alone, so
            # no application is judged against a version that is being replaced.
            statement = statement.with_for_update(read=lock == "share").execution_options(
                populate_existing=True
            )
        return (await session.exec(statement)).first()

    async def get_all(
        self,
        session: AsyncSession,
        *,
        principal: Principal,
        page: PageRequest,
        now: datetime,
        project_id: UUID | None = None,
        is_open: bool | None = None,
    ) -> list[Call]:
        statement = select(Call).where(call_visible(principal))
        if project_id is not None:
            statement = statement.where(Call.project_id == project_id)
        if is_open is not None:
            accepting = and_(
                col(Call.deadline) >= now,
                or_(col(Call.opens_on).is_(None), col(Call.opens_on) <= now.date()),
            )
            statement = statement.where(accepting if is_open else ~accepting)
        statement = keyset_page(statement, col(Call.id), page)
        return list((await session.exec(statement)).all())

    async def criteria_version(
        self, session: AsyncSession, call_id: UUID, version: int
    ) -> CriteriaVersion | None:
        statement = select(CriteriaVersion).where(
            CriteriaVersion.call_id == call_id, CriteriaVersion.version == version
        )
        return (await session.exec(statement)).first()

    async def current_versions(
        self, session: AsyncSession, call_ids: Sequence[UUID]
    ) -> dict[UUID, CriteriaVersion]:
        statement = (
            select(CriteriaVersion)
            .join(
                Call,
                and_(
                    col(Call.id) == col(CriteriaVersion.call_id),
                    col(Call.current_criteria_version) == col(CriteriaVersion.version),
                ),
            )
            .where(col(Call.id).in_(call_ids))
        )
        return {v.call_id: v for v in (await session.exec(statement)).all()}

    async def backdate(
        self,
        session: AsyncSession,
        call_id: UUID,
        *,
        opens_on: date,
        deadline: datetime,
        submitted_at: datetime,
    ) -> None:
        """Give a call and its applications past dates (the demo's historical 2018 call, which
        the API, rightly, would not accept after its deadline)."""
        await session.execute(
            update(Call).where(col(Call.id) == call_id).values(opens_on=opens_on, deadline=deadline)
        )
        await session.execute(
            update(Application)
            .where(col(Application.call_id) == call_id)
            .values(submitted_at=submitted_at)
        )


class ApplicationRepository:
    async def get(
        self, session: AsyncSession, application_id: UUID, *, principal: Principal
    ) -> tuple[Application, Call] | None:
        statement = (
            select(Application, Call)
            .join(Call, col(Call.id) == col(Application.call_id))
            .where(Application.id == application_id, application_visible(principal))
        )
        row = (await session.exec(statement)).first()
        return None if row is None else (row[0], row[1])

    async def find(
        self, session: AsyncSession, *, call_id: UUID, enterprise_id: UUID
    ) -> Application | None:
        """The pair's application, unfiltered: callers check the enterprise's tenancy first."""
        statement = select(Application).where(
            Application.call_id == call_id, Application.enterprise_id == enterprise_id
        )
        return (await session.exec(statement)).first()

    async def get_all_for_call(
        self,
        session: AsyncSession,
        call_id: UUID,
        *,
        principal: Principal,
        page: PageRequest,
        outcome: ApplicationOutcome | None = None,
        order: ApplicationOrder = "submitted",
    ) -> list[Application] | None:
        """A page of the call's visible applications; None if the cursor is not one of them."""
        statement = select(Application).where(
            Application.call_id == call_id, application_visible(principal)
        )
        if outcome is not None:
            statement = statement.where(Application.outcome == outcome.value)
        if order == "ranked":
            if page.after is not None:
                anchor = (
                    await session.exec(
                        select(Application).where(
                            Application.id == page.after,
                            Application.call_id == call_id,
                            application_visible(principal),
                        )
                    )
                ).first()
                if anchor is None:
                    return None
                statement = statement.where(
                    or_(
                        col(Application.priority_score) < anchor.priority_score,
                        and_(
                            col(Application.priority_score) == anchor.priority_score,
                            func.row(col(Application.submitted_at), col(Application.id))
                            > func.row(anchor.submitted_at, anchor.id),
                        ),
                    )
                )
            statement = statement.order_by(*_rank_order())
        else:
            statement = statement.order_by(col(Application.id))
        return list((await session.exec(statement.limit(page.limit + 1))).all())

    async def open_for_enterprise(
        self, session: AsyncSession, enterprise_id: UUID, *, now: datetime
    ) -> list[tuple[Application, Call]]:
        """The enterprise's applications to calls still open, their calls locked for share."""
        statement = (
            select(Application, Call)
            .join(Call, col(Call.id) == col(Application.call_id))
            .where(Application.enterprise_id == enterprise_id, col(Call.deadline) >= now)
            .order_by(col(Application.id))
            .with_for_update(read=True, of=Call)
        )
        return [(row[0], row[1]) for row in (await session.exec(statement)).all()]

    async def for_call(self, session: AsyncSession, call_id: UUID) -> list[Application]:
        statement = (
            select(Application)
            .where(Application.call_id == call_id)
            .order_by(col(Application.id))
            .with_for_update()
        )
        return list((await session.exec(statement)).all())

    async def ranked_for_shortlist(self, session: AsyncSession, call_id: UUID) -> list[Application]:
        """Eligible or already shortlisted applications, best first, locked for the shortlist."""
        statement = (
            select(Application)
            .where(
                Application.call_id == call_id,
                or_(
                    col(Application.outcome) == ApplicationOutcome.eligible.value,
                    col(Application.shortlisted).is_(True),
                ),
            )
            .order_by(*_rank_order())
            .with_for_update()
        )
        return list((await session.exec(statement)).all())

    async def visible_ids(
        self, session: AsyncSession, ids: Sequence[UUID], *, principal: Principal
    ) -> set[UUID]:
        statement = select(Application.id).where(
            col(Application.id).in_(ids), application_visible(principal)
        )
        return set((await session.exec(statement)).all())


call_repository = CallRepository()
application_repository = ApplicationRepository()
