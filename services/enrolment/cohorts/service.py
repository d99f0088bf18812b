"""Cohorts: 4-5 enterprises of one project trained together in one module by a partner."""

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlmodel.ext.asyncio.session import AsyncSession

from services.enrolment.catalogue.models import TrainingModule
from services.enrolment.catalogue.repository import module_repository
from services.enrolment.catalogue.standard import FIRST_MODULE_CODE
from services.enrolment.cohorts import rules as cohort_rules
from services.enrolment.cohorts.models import Cohort
from services.enrolment.cohorts.repository import cohort_repository
from services.enrolment.cohorts.schemas import (
    CohortCreate,
    CohortOverride,
    CohortPublic,
    EnterpriseMembership,
    TrainerMembership,
)
from services.enrolment.db import changes
from services.enrolment.delivery.repository import delivery_repository
from services.enrolment.enterprises.repository import enterprise_repository
from services.enrolment.lifecycle.repository import enrolment_repository
from services.enrolment.organisations.repository import project_repository
from services.enrolment.tenancy import sees_every_enterprise
from services.enrolment.trainers.repository import trainer_repository
from shared.enums import DeliveryMode, LifecycleStage, Role
from shared.events import CohortChanged
from shared.identity import Principal
from shared.pagination import Page, PageRequest, make_page
from shared.problems import Conflict, Forbidden, InvalidInput, NotFound, field_error

COHORT_RECOMMENDED_MIN = 4
# An enterprise out of the project (or never in it) is not trained in its cohorts.
_CLOSED_STAGES = frozenset(
    {LifecycleStage.ineligible, LifecycleStage.withdrawn, LifecycleStage.dropped}
)
_COHORT_MANAGERS = (Role.ilo_global, Role.programme_manager, Role.partner_staff)
_DELIVERY_RECORDERS = (*_COHORT_MANAGERS, Role.trainer)


def cohort_warnings(enterprise_count: int, recommended_max: int) -> list[str]:
    if COHORT_RECOMMENDED_MIN <= enterprise_count <= recommended_max:
        return []
    return [
        f"cohort has {enterprise_count} enterprises; "
        f"SCORE cohorts have {COHORT_RECOMMENDED_MIN}-{recommended_max}"
    ]


def override_warning(override: CohortOverride) -> str:
    return f"{override.rule} overridden: {override.detail} ({override.reason})"


def _require(principal: Principal, roles: Sequence[Role], action: str) -> None:
    if principal.role not in roles:
        raise Forbidden(f"A {principal.role.value} cannot {action}")


def _invalid(detail: str, errors: list[dict[str, Any]]) -> None:
    if errors:
        raise InvalidInput(detail, errors=errors)


def _duplicates(field: str, ids: Sequence[UUID]) -> list[dict[str, Any]]:
    seen: set[UUID] = set()
    errors = []
    for index, item in enumerate(ids):
        if item in seen:
            errors.append(
                field_error(f"{field}.{index}", "duplicate", "listed more than once", str(item))
            )
        seen.add(item)
    return errors


class CohortService:
    async def get_or_404(
        self, session: AsyncSession, cohort_id: UUID, *, principal: Principal
    ) -> Cohort:
        cohort = await cohort_repository.get(session, cohort_id, principal=principal)
        if cohort is None:
            raise NotFound(f"Cohort {cohort_id} not found")
        return cohort

    async def get_for_delivery(
        self, session: AsyncSession, cohort_id: UUID, *, principal: Principal, action: str
    ) -> Cohort:
        """A cohort the caller may record delivery on: assigned trainers, its partner, PM, ILO."""
        cohort = await self.get_or_404(session, cohort_id, principal=principal)
        _require(principal, _DELIVERY_RECORDERS, action)
        return cohort

    async def get(
        self,
        session: AsyncSession,
        cohort_id: UUID,
        *,
        principal: Principal,
        recommended_max: int,
    ) -> CohortPublic:
        cohort = await self.get_or_404(session, cohort_id, principal=principal)
        published = await self._publish(session, [cohort], recommended_max)
        return (await self._shown(session, published, principal=principal))[0]

    async def get_all(
        self,
        session: AsyncSession,
        *,
        principal: Principal,
        page: PageRequest,
        recommended_max: int,
        project_id: UUID | None = None,
        module_code: str | None = None,
        partner_id: UUID | None = None,
    ) -> Page[CohortPublic]:
        rows = await cohort_repository.get_all(
            session,
            principal=principal,
            page=page,
            project_id=project_id,
            module_code=module_code,
            partner_id=partner_id,
        )
        items = await self._shown(
            session, await self._publish(session, rows, recommended_max), principal=principal
        )
        return make_page(items, page.limit, lambda item: item.id)

    async def create(
        self,
        session: AsyncSession,
        data: CohortCreate,
        *,
        principal: Principal,
        recommended_max: int,
    ) -> CohortPublic:
        _require(principal, _COHORT_MANAGERS, "create cohorts")
        partner_id = await self._check_project_and_partner(session, data, principal=principal)
        module = await self._active_module(session, data.module_code)
        errors = await self._enterprise_errors(
            session, data.project_id, data.enterprise_ids, list(data.enterprise_ids), principal
        )
        errors += await self._trainer_errors(session, partner_id, data.trainer_ids)
        _invalid("Some enterprises or trainers cannot join this cohort", errors)
        await self._check_module_rules(
            session, module, data.enterprise_ids, data.enterprise_ids, None
        )
        lead = cohort_rules.lead_trainer(data.trainer_ids, data.lead_trainer_id)
        overrides = await cohort_rules.check(
            session,
            module=module,
            project_id=data.project_id,
            listed=data.enterprise_ids,
            to_check=data.enterprise_ids,
            lead_trainer_id=lead,
            override_reason=data.override_reason,
            principal=principal,
        )
        cohort = Cohort(
            project_id=data.project_id,
            partner_id=partner_id,
            module_id=module.id,
            name=data.name,
            start_date=data.start_date,
            end_date=data.end_date,
            delivery_mode=data.delivery_mode,
            lead_trainer_id=lead,
        )
        session.add(cohort)
        await session.flush()
        await cohort_repository.add_enterprises(session, cohort.id, data.enterprise_ids)
        await cohort_repository.replace_trainers(session, cohort.id, data.trainer_ids)
        await session.flush()
        await self._record_overrides(session, cohort, overrides, principal=principal)
        public = (await self._publish(session, [cohort], recommended_max))[0]
        await self._record(session, public, principal=principal, action="cohort.created")
        return (await self._shown(session, [public], principal=principal))[0]

    async def replace_enterprises(
        self,
        session: AsyncSession,
        cohort_id: UUID,
        data: EnterpriseMembership,
        *,
        principal: Principal,
        recommended_max: int,
    ) -> CohortPublic:
        cohort = await self.get_or_404(session, cohort_id, principal=principal)
        _require(principal, _COHORT_MANAGERS, "change a cohort's enterprises")
        before = (await self._publish(session, [cohort], recommended_max))[0]
        current = set(before.enterprise_ids)
        # Members the caller may not see (another partner's enterprise trained here) are
        # not its to remove, nor to learn of: they stay, and no answer names them.
        hidden = await self._hidden(session, before.enterprise_ids, principal=principal)
        listed = [*data.enterprise_ids, *(e for e in hidden if e not in data.enterprise_ids)]
        added = [e for e in data.enterprise_ids if e not in current]
        removed = [e for e in before.enterprise_ids if e not in set(listed)]
        errors = await self._enterprise_errors(
            session, cohort.project_id, data.enterprise_ids, added, principal
        )
        _invalid("Some enterprises cannot join this cohort", errors)
        module = (await module_repository.get_many(session, [cohort.module_id]))[cohort.module_id]
        await self._check_module_rules(session, module, listed, added, cohort.id)
        overrides = await cohort_rules.check(
            session,
            module=module,
            project_id=cohort.project_id,
            listed=listed,
            to_check=added,
            lead_trainer_id=None,
            override_reason=data.override_reason,
            principal=principal,
        )
        active = await delivery_repository.enterprises_with_activity(session, cohort.id, removed)
        if active:
            raise Conflict(
                "Enterprises with participants, consulting visits or progress recorded in the "
                "cohort cannot leave it",
                errors=[
                    field_error(
                        "body.enterprise_ids",
                        "has_activity",
                        f"enterprise {enterprise_id} has delivery recorded in this cohort",
                        str(enterprise_id),
                    )
                    for enterprise_id in removed
                    if enterprise_id in active
                ],
                enterprise_ids=[str(e) for e in removed if e in active],
            )
        if not added and not removed:
            return (await self._shown(session, [before], principal=principal))[0]
        await cohort_repository.remove_enterprises(session, cohort.id, removed)
        await cohort_repository.add_enterprises(session, cohort.id, added)
        await self._record_overrides(session, cohort, overrides, principal=principal)
        await session.flush()
        after = (await self._publish(session, [cohort], recommended_max))[0]
        await self._record(
            session, after, principal=principal, action="cohort.enterprises_changed", before=before
        )
        return (await self._shown(session, [after], principal=principal))[0]

    async def replace_trainers(
        self,
        session: AsyncSession,
        cohort_id: UUID,
        data: TrainerMembership,
        *,
        principal: Principal,
        recommended_max: int,
    ) -> CohortPublic:
        cohort = await self.get_or_404(session, cohort_id, principal=principal)
        _require(principal, _COHORT_MANAGERS, "change a cohort's trainers")
        before = (await self._publish(session, [cohort], recommended_max))[0]
        errors = await self._trainer_errors(session, cohort.partner_id, data.trainer_ids)
        _invalid("Some trainers cannot be assigned to this cohort", errors)
        lead = cohort_rules.lead_trainer(data.trainer_ids, data.lead_trainer_id)
        if set(data.trainer_ids) == set(before.trainer_ids) and lead == cohort.lead_trainer_id:
            return (await self._shown(session, [before], principal=principal))[0]
        module = (await module_repository.get_many(session, [cohort.module_id]))[cohort.module_id]
        overrides = await cohort_rules.check(
            session,
            module=module,
            project_id=cohort.project_id,
            listed=[],
            to_check=[],
            lead_trainer_id=lead if lead != cohort.lead_trainer_id else None,
            override_reason=data.override_reason,
            principal=principal,
        )
        await cohort_repository.replace_trainers(session, cohort.id, data.trainer_ids)
        cohort.lead_trainer_id = lead
        await self._record_overrides(session, cohort, overrides, principal=principal)
        await session.flush()
        after = (await self._publish(session, [cohort], recommended_max))[0]
        await self._record(
            session, after, principal=principal, action="cohort.trainers_changed", before=before
        )
        return (await self._shown(session, [after], principal=principal))[0]

    async def _check_project_and_partner(
        self, session: AsyncSession, data: CohortCreate, *, principal: Principal
    ) -> UUID:
        """The delivering partner: a partner of a project the caller may see."""
        if not await project_repository.is_visible(session, data.project_id, principal=principal):
            raise InvalidInput(
                f"Unknown project {data.project_id}",
                errors=[
                    field_error(
                        "body.project_id",
                        "project",
                        "must be a project you may see",
                        str(data.project_id),
                    )
                ],
            )
        partner_id = data.partner_id
        if principal.role is Role.partner_staff:
            if partner_id not in (None, principal.organisation_id):
                raise InvalidInput(
                    "Partner staff create cohorts for their own organisation",
                    errors=[
                        field_error(
                            "body.partner_id",
                            "own_organisation",
                            "must be your organisation or omitted",
                            str(partner_id),
                        )
                    ],
                )
            partner_id = principal.organisation_id
        if partner_id is None:
            raise InvalidInput(
                "The delivering partner is required",
                errors=[field_error("body.partner_id", "missing", "Field required")],
            )
        if not await project_repository.is_partner(session, data.project_id, partner_id):
            raise InvalidInput(
                f"Organisation {partner_id} is not an implementation partner of the project",
                errors=[
                    field_error(
                        "body.partner_id",
                        "project_partner",
                        "must be an implementation partner of the project",
                        str(partner_id),
                    )
                ],
            )
        return partner_id

    async def _active_module(self, session: AsyncSession, code: str) -> TrainingModule:
        module = await module_repository.get_by_code(session, code)
        if module is None:
            raise InvalidInput(
                f"Unknown module '{code}'",
                errors=[
                    field_error("body.module_code", "module", "must be in the catalogue", code)
                ],
            )
        if not module.active:
            replacement = (
                f"; it was replaced by '{module.replaced_by_code}'"
                if module.replaced_by_code
                else ""
            )
            raise InvalidInput(
                f"Module '{code}' is no longer delivered{replacement}",
                errors=[
                    field_error(
                        "body.module_code",
                        "module_inactive",
                        f"no longer delivered{replacement}",
                        code,
                    )
                ],
            )
        return module

    async def _enterprise_errors(
        self,
        session: AsyncSession,
        project_id: UUID,
        listed: Sequence[UUID],
        to_check: Sequence[UUID],
        principal: Principal,
    ) -> list[dict[str, Any]]:
        """Errors for the ``to_check`` enterprises, named by their position in ``listed``."""
        field = "body.enterprise_ids"
        errors = _duplicates(field, listed)
        visible = await enterprise_repository.visible_ids(session, to_check, principal=principal)
        stages = await enrolment_repository.stages_in_project(session, project_id, to_check)
        checked = set(to_check)
        for index, enterprise_id in enumerate(listed):
            if enterprise_id not in checked:
                continue
            checked.discard(enterprise_id)  # a duplicate is reported once, above
            name = f"{field}.{index}"
            if enterprise_id not in visible:
                # Unknown and another tenant's enterprise read the same: nothing leaks.
                errors.append(
                    field_error(
                        name, "enterprise", "must be an enterprise you may see", str(enterprise_id)
                    )
                )
            elif enterprise_id not in stages:
                errors.append(
                    field_error(
                        name,
                        "enrolled_in_project",
                        "the enterprise is not enrolled in the cohort's project",
                        str(enterprise_id),
                    )
                )
            elif stages[enterprise_id] in _CLOSED_STAGES:
                errors.append(
                    field_error(
                        name,
                        "enrolment_closed",
                        f"the enterprise's enrolment is {stages[enterprise_id].value}",
                        str(enterprise_id),
                    )
                )
        return errors

    async def _trainer_errors(
        self, session: AsyncSession, partner_id: UUID, trainer_ids: Sequence[UUID]
    ) -> list[dict[str, Any]]:
        field = "body.trainer_ids"
        errors = _duplicates(field, trainer_ids)
        # The partner's pool, whoever asks: a programme manager staffs a cohort with the
        # partner's trainers before any of them appears in the project.
        trainers = await trainer_repository.get_many_unscoped(session, trainer_ids)
        for index, trainer_id in enumerate(trainer_ids):
            trainer = trainers.get(trainer_id)
            if trainer is None or trainer.organisation_id != partner_id:
                errors.append(
                    field_error(
                        f"{field}.{index}",
                        "partner_trainer",
                        "must be a trainer of the cohort's partner",
                        str(trainer_id),
                    )
                )
        return errors

    async def _check_module_rules(
        self,
        session: AsyncSession,
        module: TrainingModule,
        listed: Sequence[UUID],
        to_check: Sequence[UUID],
        cohort_id: UUID | None,
    ) -> None:
        """409 for joining enterprises that may not take the module now, named by position."""
        if not to_check:
            return
        checked = set(to_check)
        positions = [(i, e) for i, e in enumerate(listed) if e in checked]
        errors = []
        if module.level != 1:
            completed = await delivery_repository.completed_module(
                session, to_check, FIRST_MODULE_CODE
            )
            errors += [
                field_error(
                    f"body.enterprise_ids.{index}",
                    "module_order",
                    f"enterprise {enterprise_id} has not completed {FIRST_MODULE_CODE}, "
                    f"which comes before '{module.code}'",
                    str(enterprise_id),
                )
                for index, enterprise_id in positions
                if enterprise_id not in completed
            ]
        elsewhere = await cohort_repository.in_other_cohorts_of_module(
            session, to_check, module_id=module.id, exclude_cohort_id=cohort_id
        )
        errors += [
            field_error(
                f"body.enterprise_ids.{index}",
                "one_cohort_per_module",
                f"enterprise {enterprise_id} is already in cohort {elsewhere[enterprise_id]} "
                f"of '{module.code}'",
                str(enterprise_id),
            )
            for index, enterprise_id in positions
            if enterprise_id in elsewhere
        ]
        if errors:
            raise Conflict(
                f"Some enterprises cannot take '{module.code}' now",
                errors=errors,
                enterprise_ids=list(dict.fromkeys(e["value"] for e in errors)),
            )

    async def _publish(
        self, session: AsyncSession, cohorts: Sequence[Cohort], recommended_max: int
    ) -> list[CohortPublic]:
        ids = [c.id for c in cohorts]
        modules = await module_repository.get_many(session, [c.module_id for c in cohorts])
        enterprises = await cohort_repository.enterprise_ids_for(session, ids)
        trainers = await cohort_repository.trainer_ids_for(session, ids)
        participants = await delivery_repository.participant_counts(session, ids)
        return [
            CohortPublic(
                id=c.id,
                project_id=c.project_id,
                partner_id=c.partner_id,
                module_code=modules[c.module_id].code,
                module_name=modules[c.module_id].name,
                name=c.name,
                start_date=c.start_date,
                end_date=c.end_date,
                delivery_mode=DeliveryMode(c.delivery_mode),
                enterprise_ids=enterprises[c.id],
                trainer_ids=trainers[c.id],
                lead_trainer_id=c.lead_trainer_id,
                participants_count=participants[c.id],
                overrides=[CohortOverride.model_validate(o) for o in c.overrides],
                created_at=c.created_at,
                warnings=cohort_warnings(len(enterprises[c.id]), recommended_max)
                + [override_warning(CohortOverride.model_validate(o)) for o in c.overrides],
            )
            for c in cohorts
        ]

    async def _hidden(
        self, session: AsyncSession, members: Sequence[UUID], *, principal: Principal
    ) -> list[UUID]:
        """The members of a cohort the caller may not see."""
        if sees_every_enterprise(principal):
            return []
        visible = await enterprise_repository.visible_ids(
            session, list(members), principal=principal
        )
        return [e for e in members if e not in visible]

    async def _shown(
        self, session: AsyncSession, cohorts: Sequence[CohortPublic], *, principal: Principal
    ) -> list[CohortPublic]:
        """Cohorts as the caller may see them: only the member enterprises it may see (an
        enterprise user sees itself, not its cohort mates), and their participants. The
        size warnings are for those who compose cohorts."""
        if sees_every_enterprise(principal):
            return list(cohorts)
        members = {e for cohort in cohorts for e in cohort.enterprise_ids}
        visible = await enterprise_repository.visible_ids(
            session, list(members), principal=principal
        )
        counts = await delivery_repository.participant_counts(
            session, [cohort.id for cohort in cohorts], enterprise_ids=visible
        )
        shown = []
        for cohort in cohorts:
            # An override about a cohort mate would name it, in its detail and its warning.
            hidden = [
                o
                for o in cohort.overrides
                if o.rule == cohort_rules.STAGE_RULE and o.subject_id not in visible
            ]
            hidden_warnings = {override_warning(o) for o in hidden}
            warnings = [w for w in cohort.warnings if w not in hidden_warnings]
            shown.append(
                cohort.model_copy(
                    update={
                        "enterprise_ids": [e for e in cohort.enterprise_ids if e in visible],
                        "participants_count": counts[cohort.id],
                        "overrides": [o for o in cohort.overrides if o not in hidden],
                        "warnings": warnings if principal.role in _COHORT_MANAGERS else [],
                    }
                )
            )
        return shown

    async def _record_overrides(
        self,
        session: AsyncSession,
        cohort: Cohort,
        overrides: Sequence[dict[str, Any]],
        *,
        principal: Principal,
    ) -> None:
        if not overrides:
            return
        before = list(cohort.overrides)
        cohort.overrides = [*before, *overrides]
        session.add(cohort)
        await session.flush()
        await changes.audit(
            session,
            principal=principal,
            action="cohort.rules_overridden",
            entity_type="cohort",
            entity_id=cohort.id,
            before={"overrides": before},
            after={"overrides": cohort.overrides},
            reason=str(overrides[0]["reason"]),
        )

    async def _record(
        self,
        session: AsyncSession,
        public: CohortPublic,
        *,
        principal: Principal,
        action: str,
        before: CohortPublic | None = None,
    ) -> None:
        await changes.emit(
            session,
            CohortChanged(
                cohort_id=public.id,
                project_id=public.project_id,
                partner_id=public.partner_id,
                module_code=public.module_code,
                name=public.name,
                start_date=public.start_date,
                enterprise_ids=public.enterprise_ids,
                trainer_ids=public.trainer_ids,
            ),
            principal=principal,
        )
        exclude = {"warnings", "participants_count"}
        await changes.audit(
            session,
            principal=principal,
            action=action,
            entity_type="cohort",
            entity_id=public.id,
            before=before.model_dump(mode="json", exclude=exclude) if before else None,
            after=public.model_dump(mode="json", exclude=exclude),
        )


cohort_service = CohortService()
