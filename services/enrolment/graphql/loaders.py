"""Per-request DataLoaders over the services' batch reads; every batch applies tenancy."""

from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

from strawberry.dataloader import DataLoader

from services.enrolment.enterprises.schemas import EnterprisePublic
from services.enrolment.enterprises.service import enterprise_service
from services.enrolment.lifecycle.schemas import EnrolmentPublic
from services.enrolment.lifecycle.service import lifecycle_service
from services.enrolment.orders.schemas import OrderStatusPublic
from services.enrolment.orders.service import order_service
from shared.graphql import SessionAccess
from shared.identity import Principal


class Loaders:
    """One set per request: a cache shared across principals would leak between tenants."""

    def __init__(self, database: SessionAccess, principal: Principal) -> None:
        # The batch reads live apart from the loaders that call them: a loader calling a
        # method of the object holding it would be a reference cycle, and the request's
        # objects would wait for the garbage collector instead of going with the answer.
        reads = _Reads(database, principal)
        # Rows kept in place of the enterprise loader's cache (released with it).
        self._listed = reads.listed
        self.enterprise: DataLoader[UUID, EnterprisePublic | None] = DataLoader(
            load_fn=reads.enterprises
        )
        self.enrolments: DataLoader[UUID, list[EnrolmentPublic]] = DataLoader(
            load_fn=reads.enrolments
        )
        self.order_status: DataLoader[UUID, list[OrderStatusPublic]] = DataLoader(
            load_fn=reads.order_status
        )

    def listed_enterprises(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """Enterprises a list answered, as rows of EnterprisePublic's fields: later references
        to them in the same operation need no query (a model per row is built only then)."""
        self._listed.update((row["id"], row) for row in rows)


class _Reads:
    """The loaders' batch reads; every batch applies tenancy."""

    def __init__(self, database: SessionAccess, principal: Principal) -> None:
        self._database = database
        self._principal = principal
        self.listed: dict[UUID, Mapping[str, Any]] = {}

    async def order_status(self, ids: list[UUID]) -> list[list[OrderStatusPublic]]:
        async with self._database() as session:
            found = await order_service.get_many(session, ids, principal=self._principal)
        return [found[enterprise_id] for enterprise_id in ids]

    async def enterprises(self, ids: list[UUID]) -> list[EnterprisePublic | None]:
        by_id = {
            enterprise_id: EnterprisePublic.model_construct(**self.listed[enterprise_id])
            for enterprise_id in ids
            if enterprise_id in self.listed
        }
        if unlisted := [enterprise_id for enterprise_id in ids if enterprise_id not in by_id]:
            async with self._database() as session:
                found = await enterprise_service.get_many(
                    session, unlisted, principal=self._principal
                )
            by_id.update((enterprise.id, enterprise) for enterprise in found)
        # Invisible and missing ids both answer None: the caller cannot tell them apart.
        return [by_id.get(enterprise_id) for enterprise_id in ids]

    async def enrolments(self, enterprise_ids: list[UUID]) -> list[list[EnrolmentPublic]]:
        async with self._database() as session:
            found = await lifecycle_service.for_enterprises(
                session, enterprise_ids, principal=self._principal
            )
        return [found[enterprise_id] for enterprise_id in enterprise_ids]
