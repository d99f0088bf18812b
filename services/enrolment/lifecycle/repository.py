"""Enrolment and transition queries; every read applies the caller's tenancy."""

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.enrolment.enterprises.models import Enterprise
from services.enrolment.lifecycle.models import Enrolment, StageTransition
from services.enrolment.tenancy import enrolment_visible, enterprise_enrollable
from shared.columns import utcnow
from shared.enums import LifecycleStage
from shared.identity import Principal
from shared.ids import new_id
from shared.pagination import PageRequest, keyset_page


class EnrolmentRepository:
    async def get(
        self,
        session: AsyncSession,
        enrolment_id: UUID,
        *,
        principal: Principal,
        lock: bool = False,
    ) -> Enrolment | None:
        statement = select(Enrolment).where(
            Enrolment.id == enrolment_id, enrolment_visible(principal)
        )
        if lock:
            # Two people moving the same enrolment at once must not both pass the machine
            # from the same stage; the locked read also refreshes a cached row.
            statement = statement.with_for_update().execution_options(populate_existing=True)
        return (await session.exec(statement)).first()

    async def find(
        self, session: AsyncSession, *, project_id: UUID, enterprise_id: UUID
    ) -> Enrolment | None:
        """The enrolment of the pair, unfiltered: callers check both sides' tenancy first."""
        statement = select(Enrolment).where(
            Enrolment.project_id == project_id, Enrolment.enterprise_id == enterprise_id
        )
        return (await session.exec(statement)).first()

    async def insert_if_absent(
        self, session: AsyncSession, *, project_id: UUID, enterprise_id: UUID
    ) -> tuple[Enrolment, bool]:
        """The pair's enrolment, created at expression_of_interest if absent; and whether
        this call created it.

        Insert-or-nothing, then read: two first requests for the same pair at once both
        get the one enrolment instead of one of them failing on the unique constraint.
        """
        inserted = await session.execute(
            insert(Enrolment)
            .values(
                id=new_id(),
                project_id=project_id,
                enterprise_id=enterprise_id,
                stage=LifecycleStage.expression_of_interest.value,
                created_at=utcnow(),
            )
            .on_conflict_do_nothing(index_elements=["project_id", "enterprise_id"])
            .returning(col(Enrolment.id))
        )
        created_id = inserted.scalar_one_or_none()
        enrolment = (
            await session.exec(
                select(Enrolment)
                .where(Enrolment.project_id == project_id, Enrolment.enterprise_id == enterprise_id)
                .execution_options(populate_existing=True)
            )
        ).one()
        return enrolment, created_id is not None

    async def get_all(
        self,
        session: AsyncSession,
        *,
        principal: Principal,
        page: PageRequest,
        project_id: UUID | None = None,
        enterprise_id: UUID | None = None,
        stage: LifecycleStage | None = None,
    ) -> list[Enrolment]:
        statement = select(Enrolment).where(enrolment_visible(principal))
        if project_id is not None:
            statement = statement.where(Enrolment.project_id == project_id)
        if enterprise_id is not None:
            statement = statement.where(Enrolment.enterprise_id == enterprise_id)
        if stage is not None:
            statement = statement.where(Enrolment.stage == stage)
        statement = keyset_page(statement, col(Enrolment.id), page)
        return list((await session.exec(statement)).all())

    async def stages_in_project(
        self, session: AsyncSession, project_id: UUID, enterprise_ids: Sequence[UUID]
    ) -> dict[UUID, LifecycleStage]:
        """The stage of each of the enterprises enrolled in the project."""
        rows = await session.exec(
            select(Enrolment.enterprise_id, Enrolment.stage).where(
                Enrolment.project_id == project_id,
                col(Enrolment.enterprise_id).in_(enterprise_ids),
            )
        )
        return {enterprise_id: LifecycleStage(stage) for enterprise_id, stage in rows.all()}

    async def transitions(
        self, session: AsyncSession, enrolment_id: UUID, *, page: PageRequest
    ) -> list[StageTransition]:
        # Ids are UUIDv7, monotonic in this process: id order is the order they happened.
        statement = select(StageTransition).where(StageTransition.enrolment_id == enrolment_id)
        statement = keyset_page(statement, col(StageTransition.id), page)
        return list((await session.exec(statement)).all())

    async def enterprise_enrollable(
        self,
        session: AsyncSession,
        enterprise_id: UUID,
        *,
        project_id: UUID,
        principal: Principal,
    ) -> bool:
        """Whether the caller may enrol the enterprise in the (already visible) project."""
        statement = select(Enterprise.id).where(
            Enterprise.id == enterprise_id, enterprise_enrollable(principal, project_id)
        )
        return (await session.exec(statement)).first() is not None

    async def for_enterprises(
        self, session: AsyncSession, enterprise_ids: Sequence[UUID], *, principal: Principal
    ) -> dict[UUID, list[Enrolment]]:
        """The enrolments of each enterprise the caller may see (a batch, for the graph)."""
        statement = (
            select(Enrolment)
            .where(col(Enrolment.enterprise_id).in_(enterprise_ids), enrolment_visible(principal))
            .order_by(col(Enrolment.id))
        )
        result: dict[UUID, list[Enrolment]] = {
            enterprise_id: [] for enterprise_id in enterprise_ids
        }
        for enrolment in (await session.exec(statement)).all():
            result[enrolment.enterprise_id].append(enrolment)
        return result


enrolment_repository = EnrolmentRepository()
