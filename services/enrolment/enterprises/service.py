"""Enterprise registration and profile updates, with duplicate detection."""

from collections.abc import Sequence
from typing import TypeVar
from uuid import UUID

from pydantic import ValidationError
from sqlmodel.ext.asyncio.session import AsyncSession

from services.enrolment.db import changes
from services.enrolment.enterprises.models import Enterprise
from services.enrolment.enterprises.naming import normalise_name
from services.enrolment.enterprises.repository import enterprise_repository
from services.enrolment.enterprises.schemas import (
    EnterpriseCreate,
    EnterpriseProfile,
    EnterprisePublic,
    EnterpriseUpdate,
)
from services.enrolment.organisations.repository import (
    organisation_repository,
    project_repository,
)
from services.enrolment.tenancy import shown_buyer_ids
from shared.columns import utcnow
from shared.enums import OrganisationKind, Role
from shared.events import EnterpriseRegistered, EnterpriseSnapshot, EnterpriseUpdated
from shared.identity import Principal
from shared.pagination import Page, PageRequest, make_page
from shared.problems import Forbidden, InvalidInput, NotFound, field_error, invalid_from_pydantic
from shared.row_pages import RowPage, row_page

E = TypeVar("E", bound=EnterpriseSnapshot)

_PROFILE_FIELDS = [name for name in EnterpriseProfile.model_fields if name != "buyer_ids"]


class EnterpriseService:
    async def get_or_404(
        self, session: AsyncSession, enterprise_id: UUID, *, principal: Principal
    ) -> Enterprise:
        enterprise = await enterprise_repository.get(session, enterprise_id, principal=principal)
        if enterprise is None:
            raise NotFound(f"Enterprise {enterprise_id} not found")
        return enterprise

    async def get(
        self, session: AsyncSession, enterprise_id: UUID, *, principal: Principal
    ) -> EnterprisePublic:
        enterprise = await self.get_or_404(session, enterprise_id, principal=principal)
        return (await self._shown(session, [enterprise], principal=principal))[0]

    async def get_many(
        self, session: AsyncSession, ids: Sequence[UUID], *, principal: Principal
    ) -> list[EnterprisePublic]:
        enterprises = await enterprise_repository.get_many(session, ids, principal=principal)
        return await self._shown(session, enterprises, principal=principal)

    async def _shown(
        self, session: AsyncSession, enterprises: Sequence[Enterprise], *, principal: Principal
    ) -> list[EnterprisePublic]:
        """Enterprises as the caller may see them. Every answer goes through here, so no
        side channel shows what a 404 hides: another tenant's enterprise is never named as
        the likely original of a duplicate (the flag and reason still show), and a buyer
        sees no other buyer of its supplier."""
        buyers = await enterprise_repository.buyer_ids_for(session, [e.id for e in enterprises])
        originals = await enterprise_repository.visible_ids(
            session,
            [e.possible_duplicate_of_id for e in enterprises if e.possible_duplicate_of_id],
            principal=principal,
        )
        return [
            EnterprisePublic.build(
                e,
                shown_buyer_ids(principal, buyers[e.id]),
                original_shown=e.possible_duplicate_of_id in originals,
            )
            for e in enterprises
        ]

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
    ) -> Page[EnterprisePublic]:
        rows = await enterprise_repository.get_all(
            session,
            principal=principal,
            page=page,
            country=country,
            partner_id=partner_id,
            sub_sector=sub_sector,
            possible_duplicates=possible_duplicates,
        )
        items = await self._shown(session, rows, principal=principal)
        return make_page(items, page.limit, lambda item: item.id)

    async def get_all_rows(
        self,
        session: AsyncSession,
        *,
        principal: Principal,
        page: PageRequest,
        country: str | None = None,
        partner_id: UUID | None = None,
        sub_sector: str | None = None,
        possible_duplicates: bool | None = None,
    ) -> RowPage:
        """``get_all`` as rows of EnterprisePublic's fields, for a list answer serialized
        straight from them (``shared.row_pages``)."""
        rows = await enterprise_repository.get_all_public(
            session,
            principal=principal,
            page=page,
            country=country,
            partner_id=partner_id,
            sub_sector=sub_sector,
            possible_duplicates=possible_duplicates,
        )
        for row in rows:
            row["buyer_ids"] = shown_buyer_ids(principal, row["buyer_ids"])
        return row_page(rows, page.limit)

    async def create(
        self, session: AsyncSession, data: EnterpriseCreate, *, principal: Principal
    ) -> EnterprisePublic:
        partner_id = await self._partner_for_new_enterprise(session, data.partner_id, principal)
        await self._check_organisations(session, partner_id=partner_id, buyer_ids=data.buyer_ids)
        enterprise = Enterprise(
            **data.model_dump(include=set(_PROFILE_FIELDS)),
            normalised_name=normalise_name(data.name),
            partner_id=partner_id,
        )
        await self._flag_duplicate(session, enterprise)
        session.add(enterprise)
        await session.flush()
        await enterprise_repository.replace_buyers(session, enterprise.id, data.buyer_ids)
        public = EnterprisePublic.build(enterprise, list(dict.fromkeys(data.buyer_ids)))
        await changes.emit(session, _snapshot(EnterpriseRegistered, public), principal=principal)
        await changes.audit(
            session,
            principal=principal,
            action="enterprise.registered",
            entity_type="enterprise",
            entity_id=enterprise.id,
            after=public,
        )
        return (await self._shown(session, [enterprise], principal=principal))[0]

    async def update(
        self,
        session: AsyncSession,
        enterprise_id: UUID,
        data: EnterpriseUpdate,
        *,
        principal: Principal,
    ) -> EnterprisePublic:
        enterprise = await self.get_or_404(session, enterprise_id, principal=principal)
        if principal.role in (Role.trainer, Role.lead_buyer):
            raise Forbidden(f"A {principal.role.value} cannot change an enterprise profile")
        before = EnterprisePublic.build(
            enterprise, await enterprise_repository.buyer_ids(session, enterprise.id)
        )
        changed = data.model_dump(exclude_unset=True)
        merged = before.model_dump(include={*_PROFILE_FIELDS, "buyer_ids"}) | changed
        try:
            # Cross-field rules (permanent <= total ...) judge the profile after the change.
            profile = EnterpriseProfile.model_validate(merged)
        except ValidationError as exc:
            raise invalid_from_pydantic(exc) from exc
        if "buyer_ids" in changed:
            await self._check_organisations(session, partner_id=None, buyer_ids=profile.buyer_ids)
        for field in _PROFILE_FIELDS:
            setattr(enterprise, field, getattr(profile, field))
        enterprise.normalised_name = normalise_name(profile.name)
        enterprise.updated_at = utcnow()
        if {"name", "registration_number", "country"} & changed.keys():
            enterprise.possible_duplicate_of_id = None
            enterprise.duplicate_reason = None
            await self._flag_duplicate(session, enterprise)
        session.add(enterprise)
        if "buyer_ids" in changed:
            await enterprise_repository.replace_buyers(session, enterprise.id, profile.buyer_ids)
        await session.flush()
        after = EnterprisePublic.build(enterprise, list(dict.fromkeys(profile.buyer_ids)))
        await changes.emit(session, _snapshot(EnterpriseUpdated, after), principal=principal)
        await changes.audit(
            session,
            principal=principal,
            action="enterprise.updated",
            entity_type="enterprise",
            entity_id=enterprise.id,
            before=before,
            after=after,
        )
        # The profile is what eligibility is judged on: open applications follow it.
        from services.enrolment.calls.service import application_service

        await application_service.reevaluate_for_enterprise(
            session, enterprise_id=enterprise.id, principal=principal
        )
        return (await self._shown(session, [enterprise], principal=principal))[0]

    async def _partner_for_new_enterprise(
        self, session: AsyncSession, requested: UUID | None, principal: Principal
    ) -> UUID | None:
        match principal.role:
            case Role.partner_staff:
                if requested is not None and requested != principal.organisation_id:
                    raise InvalidInput(
                        "Partner staff register enterprises for their own organisation",
                        errors=[
                            field_error(
                                "body.partner_id",
                                "own_organisation",
                                "must be your organisation or omitted",
                                str(requested),
                            )
                        ],
                    )
                return principal.organisation_id
            case Role.programme_manager if requested is not None and principal.project_id:
                # A manager registers for the project's partners only: for another partner
                # the enterprise would be written into a tenant they have no part in.
                partners = await project_repository.partner_ids(session, principal.project_id)
                if requested not in partners:
                    raise InvalidInput(
                        "Programme managers register enterprises for their project's partners",
                        errors=[
                            field_error(
                                "body.partner_id",
                                "project_partner",
                                "must be an implementation partner of your project",
                                str(requested),
                            )
                        ],
                    )
                return requested
            case Role.ilo_global | Role.programme_manager | Role.service:
                return requested
        raise Forbidden(f"A {principal.role.value} cannot register enterprises")

    async def _check_organisations(
        self, session: AsyncSession, *, partner_id: UUID | None, buyer_ids: Sequence[UUID]
    ) -> None:
        wanted = {*buyer_ids, *([partner_id] if partner_id else [])}
        if not wanted:
            return
        kinds = await organisation_repository.kinds(session, wanted)
        errors = []
        if (
            partner_id is not None
            and kinds.get(partner_id) != OrganisationKind.implementation_partner
        ):
            errors.append(
                field_error(
                    "body.partner_id",
                    "implementation_partner",
                    "must be an existing implementation partner",
                    str(partner_id),
                )
            )
        for index, buyer_id in enumerate(buyer_ids):
            if kinds.get(buyer_id) != OrganisationKind.lead_buyer:
                errors.append(
                    field_error(
                        f"body.buyer_ids.{index}",
                        "lead_buyer",
                        "must be an existing lead buyer organisation",
                        str(buyer_id),
                    )
                )
        if errors:
            raise InvalidInput("Unknown or wrong-kind organisations referenced", errors=errors)

    async def _flag_duplicate(self, session: AsyncSession, enterprise: Enterprise) -> None:
        found = await enterprise_repository.find_duplicate(
            session,
            country=enterprise.country,
            normalised_name=enterprise.normalised_name,
            registration_number=enterprise.registration_number,
            exclude_id=enterprise.id,
        )
        if found is not None:
            original, reason = found
            enterprise.possible_duplicate_of_id = original.id
            enterprise.duplicate_reason = reason


def _snapshot(event: type[E], public: EnterprisePublic) -> E:
    fields = public.model_dump(include=set(EnterpriseSnapshot.model_fields))
    return event.model_validate({**fields, "enterprise_id": public.id})


enterprise_service = EnterpriseService()
