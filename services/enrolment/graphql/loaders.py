"""Per-request DataLoaders over the services' batch reads; every batch applies tenancy."""

from uuid import UUID

from strawberry.dataloader import DataLoader

from services.enrolment.enterprises.schemas import EnterprisePublic
from services.enrolment.enterprises.service import enterprise_service
from services.enrolment.lifecycle.schemas import EnrolmentPublic
from services.enrolment.lifecycle.service import lifecycle_service
from shared.graphql import SessionAccess
from shared.identity import Principal


class Loaders:
    """One set per request: a cache shared across principals would leak between tenants."""

    def __init__(self, database: SessionAccess, principal: Principal) -> None:
        self._database = database
        self._principal = principal
        self.enterprise: DataLoader[UUID, EnterprisePublic | None] = DataLoader(
            load_fn=self._load_enterprises
        )
        self.enrolments: DataLoader[UUID, list[EnrolmentPublic]] = DataLoader(
            load_fn=self._load_enrolments
        )

    async def _load_enterprises(self, ids: list[UUID]) -> list[EnterprisePublic | None]:
        async with self._database() as session:
            found = await enterprise_service.get_many(session, ids, principal=self._principal)
        by_id = {enterprise.id: enterprise for enterprise in found}
        # Invisible and missing ids both answer None: the caller cannot tell them apart.
        return [by_id.get(enterprise_id) for enterprise_id in ids]

    async def _load_enrolments(self, enterprise_ids: list[UUID]) -> list[list[EnrolmentPublic]]:
        async with self._database() as session:
            found = await lifecycle_service.for_enterprises(
                session, enterprise_ids, principal=self._principal
            )
        return [found[enterprise_id] for enterprise_id in enterprise_ids]
