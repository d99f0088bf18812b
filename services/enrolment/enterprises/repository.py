"""Enterprise queries; every read applies the caller's tenancy."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from uuid import UUID

from sqlalchemy import ColumnElement, Select, Uuid, and_, bindparam, case, delete, func, or_
from sqlalchemy import select as core_select
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.enrolment.enterprises.models import Enterprise, EnterpriseBuyer
from services.enrolment.enterprises.naming import normalise_registration_number
from services.enrolment.enterprises.schemas import EnterprisePublic
from services.enrolment.tenancy import enterprise_visible, role_enterprise_visible
from shared.enums import Role
from shared.identity import Principal
from shared.pagination import PageRequest, keyset_page, keyset_page_parameters, keyset_values
from shared.sql import CompiledQueries

SelectT = TypeVar("SelectT", bound=Select[Any])


def _filtered(
    statement: SelectT,
    *,
    country: Any,
    partner_id: Any,
    sub_sector: Any,
    possible_duplicates: bool | None,
) -> SelectT:
    """The list's optional filters, each a value (the country upper-case) or a bound
    parameter standing for it."""
    if country is not None:
        statement = statement.where(col(Enterprise.country) == country)
    if partner_id is not None:
        statement = statement.where(col(Enterprise.partner_id) == partner_id)
    if sub_sector is not None:
        statement = statement.where(col(Enterprise.sub_sector) == sub_sector)
    if possible_duplicates is not None:
        flagged = col(Enterprise.possible_duplicate_of_id).is_not(None)
        statement = statement.where(flagged if possible_duplicates else ~flagged)
    return statement


def _public_columns() -> dict[str, Any]:
    """EnterprisePublic's fields as columns, in its order, as ``_shown`` builds them but the
    likely original (``_original_shown``): buyers in id order, the duplicate flag."""
    buyers = (
        core_select(col(EnterpriseBuyer.buyer_id))
        .where(col(EnterpriseBuyer.enterprise_id) == col(Enterprise.id))
        .order_by(col(EnterpriseBuyer.buyer_id))
        .scalar_subquery()
    )
    computed: dict[str, Any] = {
        "buyer_ids": func.array(buyers),
        "possible_duplicate": col(Enterprise.duplicate_reason).is_not(None),
    }
    table = Enterprise.__table__.c  # type: ignore[attr-defined]
    return {
        name: computed[name].label(name) if name in computed else table[name]
        for name in EnterprisePublic.model_fields
    }


# Built once: putting a statement together costs a list request more than running it.
_PUBLIC_COLUMNS = _public_columns()


def _original_shown(visible: ColumnElement[bool]) -> Any:
    """The likely original of a duplicate, named only when it is ``visible`` to the caller."""
    original = col(Enterprise.possible_duplicate_of_id)
    return case((visible, original)).label("possible_duplicate_of_id")


@dataclass(frozen=True)
class _ListShape:
    """What decides the text of ``get_all_public``'s statement; the rest are its values."""

    role: Role
    country: bool
    partner_id: bool
    sub_sector: bool
    possible_duplicates: bool | None
    after: bool


def _public_list(shape: _ListShape) -> Select[Any]:
    """``get_all_public``'s statement for a shape, a bound parameter for every value."""

    def given(name: str) -> Any:
        return bindparam(name) if getattr(shape, name) else None

    tenant = bindparam("tenant_id", type_=Uuid())
    original = role_enterprise_visible(shape.role, tenant, col(Enterprise.possible_duplicate_of_id))
    columns = _PUBLIC_COLUMNS | {"possible_duplicate_of_id": _original_shown(original)}
    statement = _filtered(
        core_select(*columns.values()).where(role_enterprise_visible(shape.role, tenant)),
        country=given("country"),
        partner_id=given("partner_id"),
        sub_sector=given("sub_sector"),
        possible_duplicates=shape.possible_duplicates,
    )
    return keyset_page_parameters(statement, col(Enterprise.id), after=shape.after)


_PUBLIC_LISTS = CompiledQueries(_public_list)


class EnterpriseRepository:
    async def get(
        self, session: AsyncSession, enterprise_id: UUID, *, principal: Principal
    ) -> Enterprise | None:
        statement = select(Enterprise).where(
            Enterprise.id == enterprise_id, enterprise_visible(principal)
        )
        return (await session.exec(statement)).first()

    async def get_many(
        self, session: AsyncSession, ids: Sequence[UUID], *, principal: Principal
    ) -> list[Enterprise]:
        statement = select(Enterprise).where(
            col(Enterprise.id).in_(ids), enterprise_visible(principal)
        )
        return list((await session.exec(statement)).all())

    async def get_many_unscoped(
        self, session: AsyncSession, ids: Sequence[UUID]
    ) -> dict[UUID, Enterprise]:
        """Profiles the platform itself judges (eligibility), whoever asked for the judgement."""
        statement = select(Enterprise).where(col(Enterprise.id).in_(ids))
        return {e.id: e for e in (await session.exec(statement)).all()}

    async def get_all(
        self,
        session: AsyncSession,
        *,
        principal: Principal,
        page: PageRequest,
        country: str | None = None,
        partner_id: UUID | None = None,
        sub_sector: str | None = None,
        possible_duplicates: bool | None = None,
    ) -> list[Enterprise]:
        statement = _filtered(
            select(Enterprise).where(enterprise_visible(principal)),
            country=None if country is None else country.upper(),
            partner_id=partner_id,
            sub_sector=sub_sector,
            possible_duplicates=possible_duplicates,
        )
        statement = keyset_page(statement, col(Enterprise.id), page)
        return list((await session.exec(statement)).all())

    async def get_all_public(
        self,
        session: AsyncSession,
        *,
        principal: Principal,
        page: PageRequest,
        country: str | None = None,
        partner_id: UUID | None = None,
        sub_sector: str | None = None,
        possible_duplicates: bool | None = None,
    ) -> list[dict[str, Any]]:
        """``get_all`` as the caller sees it (``EnterpriseService._shown``), as rows of
        EnterprisePublic's fields: one statement, no objects (a list answer's costliest part),
        compiled once per role and choice of filters."""
        shape = _ListShape(
            role=principal.role,
            country=country is not None,
            partner_id=partner_id is not None,
            sub_sector=sub_sector is not None,
            possible_duplicates=possible_duplicates,
            after=page.after is not None,
        )
        values = {
            "tenant_id": principal.tenant_id,
            "country": None if country is None else country.upper(),
            "partner_id": partner_id,
            "sub_sector": sub_sector,
            **keyset_values(page),
        }
        return await _PUBLIC_LISTS.rows(session, shape, values)

    async def visible_ids(
        self, session: AsyncSession, ids: Sequence[UUID], *, principal: Principal
    ) -> set[UUID]:
        """Which of ``ids`` the caller may see."""
        if not ids:
            return set()
        statement = select(Enterprise.id).where(
            col(Enterprise.id).in_(ids), enterprise_visible(principal)
        )
        return set((await session.exec(statement)).all())

    async def find_duplicate(
        self,
        session: AsyncSession,
        *,
        country: str,
        normalised_name: str,
        registration_number: str | None,
        exclude_id: UUID | None = None,
    ) -> tuple[Enterprise, str] | None:
        """The earliest enterprise this one likely duplicates, and why (across all tenants)."""
        same_name = and_(
            col(Enterprise.country) == country, col(Enterprise.normalised_name) == normalised_name
        )
        conditions: list[ColumnElement[bool]] = [same_name]
        normalised_number = (
            normalise_registration_number(registration_number) if registration_number else ""
        )
        if normalised_number:
            stored = func.regexp_replace(
                func.upper(Enterprise.registration_number), "[^A-Z0-9]", "", "g"
            )
            conditions.append(and_(col(Enterprise.country) == country, stored == normalised_number))
        statement = select(Enterprise).where(or_(*conditions))
        if exclude_id is not None:
            statement = statement.where(Enterprise.id != exclude_id)
        match = (await session.exec(statement.order_by(col(Enterprise.id)).limit(1))).first()
        if match is None:
            return None
        same_number = (
            bool(normalised_number)
            and match.registration_number is not None
            and (normalise_registration_number(match.registration_number) == normalised_number)
        )
        reason = "same registration number" if same_number else "same name in the same country"
        return match, reason

    async def partner_id(self, session: AsyncSession, enterprise_id: UUID) -> UUID | None:
        """The partner that registered the enterprise (unfiltered: for the platform's events)."""
        statement = select(Enterprise.partner_id).where(Enterprise.id == enterprise_id)
        return (await session.exec(statement)).first()

    async def buyer_ids(self, session: AsyncSession, enterprise_id: UUID) -> list[UUID]:
        rows = await session.exec(
            select(EnterpriseBuyer.buyer_id)
            .where(EnterpriseBuyer.enterprise_id == enterprise_id)
            .order_by(col(EnterpriseBuyer.buyer_id))
        )
        return list(rows.all())

    async def buyer_ids_for(
        self, session: AsyncSession, enterprise_ids: Sequence[UUID]
    ) -> dict[UUID, list[UUID]]:
        rows = await session.exec(
            select(EnterpriseBuyer.enterprise_id, EnterpriseBuyer.buyer_id)
            .where(col(EnterpriseBuyer.enterprise_id).in_(enterprise_ids))
            .order_by(col(EnterpriseBuyer.buyer_id))
        )
        result: dict[UUID, list[UUID]] = {enterprise_id: [] for enterprise_id in enterprise_ids}
        for enterprise_id, buyer_id in rows.all():
            result[enterprise_id].append(buyer_id)
        return result

    async def replace_buyers(
        self, session: AsyncSession, enterprise_id: UUID, buyer_ids: Sequence[UUID]
    ) -> None:
        await session.execute(
            delete(EnterpriseBuyer).where(col(EnterpriseBuyer.enterprise_id) == enterprise_id)
        )
        session.add_all(
            EnterpriseBuyer(enterprise_id=enterprise_id, buyer_id=buyer_id)
            for buyer_id in dict.fromkeys(buyer_ids)
        )


enterprise_repository = EnterpriseRepository()
