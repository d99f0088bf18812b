"""Trainers and their per-module certification: candidate, certified after ToT and ToE, expert."""

from collections.abc import Sequence
from datetime import date
from typing import Any
from uuid import UUID

from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from services.enrolment.catalogue.models import TrainingModule
from services.enrolment.catalogue.service import module_service
from services.enrolment.db import changes
from services.enrolment.organisations.repository import organisation_repository
from services.enrolment.trainer_evidence import rules as evidence_rules
from services.enrolment.trainers.models import Trainer, TrainerCertification
from services.enrolment.trainers.repository import trainer_repository
from services.enrolment.trainers.schemas import (
    CertificationPublic,
    CertificationPut,
    TrainerCreate,
    TrainerPublic,
    TrainerUpdate,
)
from shared.columns import utcnow
from shared.enums import CertificationLevel, OrganisationKind, Role, Sex
from shared.events import TrainerCertified, TrainerUpdated
from shared.identity import Principal
from shared.pagination import Page, PageRequest, make_page
from shared.problems import Conflict, Forbidden, InvalidInput, NotFound, field_error

_CERTIFIED_LEVELS = (CertificationLevel.certified, CertificationLevel.expert)


def certification_public(
    certification: TrainerCertification, module: TrainingModule
) -> CertificationPublic:
    return CertificationPublic(
        module_code=module.code,
        module_name=module.name,
        level=CertificationLevel(certification.level),
        tot_completed_on=certification.tot_completed_on,
        toe_completed_on=certification.toe_completed_on,
        certified_on=certification.certified_on,
        override_reason=certification.override_reason,
        overridden_by=certification.overridden_by,
        updated_at=certification.updated_at,
    )


def _trainer_public(
    trainer: Trainer, certifications: Sequence[tuple[TrainerCertification, TrainingModule]]
) -> TrainerPublic:
    return TrainerPublic(
        id=trainer.id,
        name=trainer.name,
        sex=Sex(trainer.sex),
        country=trainer.country,
        email=trainer.email,
        organisation_id=trainer.organisation_id,
        created_at=trainer.created_at,
        certifications=[certification_public(c, m) for c, m in certifications],
    )


def require_trainer_manager(principal: Principal, action: str) -> None:
    # Partner staff manage their own pool (tenancy narrows which trainers); the ILO all.
    if principal.role not in (Role.ilo_global, Role.partner_staff):
        raise Forbidden(f"A {principal.role.value} cannot {action}")


class TrainerService:
    async def get_or_404(
        self, session: AsyncSession, trainer_id: UUID, *, principal: Principal
    ) -> Trainer:
        trainer = await trainer_repository.get(session, trainer_id, principal=principal)
        if trainer is None:
            raise NotFound(f"Trainer {trainer_id} not found")
        return trainer

    async def get(
        self, session: AsyncSession, trainer_id: UUID, *, principal: Principal
    ) -> TrainerPublic:
        trainer = await self.get_or_404(session, trainer_id, principal=principal)
        return await self._publish_one(session, trainer)

    async def get_all(
        self,
        session: AsyncSession,
        *,
        principal: Principal,
        page: PageRequest,
        organisation_id: UUID | None = None,
        country: str | None = None,
    ) -> Page[TrainerPublic]:
        rows = await trainer_repository.get_all(
            session,
            principal=principal,
            page=page,
            organisation_id=organisation_id,
            country=country,
        )
        certifications = await trainer_repository.certifications_for(session, [t.id for t in rows])
        items = [_trainer_public(t, certifications[t.id]) for t in rows]
        return make_page(items, page.limit, lambda item: item.id)

    async def create(
        self, session: AsyncSession, data: TrainerCreate, *, principal: Principal
    ) -> TrainerPublic:
        require_trainer_manager(principal, "register trainers")
        organisation_id = data.organisation_id
        if principal.role is Role.partner_staff:
            if organisation_id not in (None, principal.organisation_id):
                raise InvalidInput(
                    "Partner staff register trainers for their own organisation",
                    errors=[
                        field_error(
                            "body.organisation_id",
                            "own_organisation",
                            "must be your organisation or omitted",
                            str(organisation_id),
                        )
                    ],
                )
            organisation_id = principal.organisation_id
        else:
            await self._check_partner(session, organisation_id)
        trainer = Trainer(**data.model_dump(exclude={"organisation_id"}))
        trainer.organisation_id = organisation_id
        session.add(trainer)
        await session.flush()
        public = _trainer_public(trainer, [])
        await changes.audit(
            session,
            principal=principal,
            action="trainer.registered",
            entity_type="trainer",
            entity_id=trainer.id,
            after=public,
        )
        return public

    async def update(
        self,
        session: AsyncSession,
        trainer_id: UUID,
        data: TrainerUpdate,
        *,
        principal: Principal,
    ) -> TrainerPublic:
        trainer = await self.get_or_404(session, trainer_id, principal=principal)
        require_trainer_manager(principal, "change a trainer's record")
        before = await self._publish_one(session, trainer)
        changed = data.model_dump(exclude_unset=True)
        for field in ("name", "sex", "country"):
            if changed.get(field) is None:
                changed.pop(field, None)  # explicit null on a required field means "unchanged"
        if "organisation_id" in changed:
            if principal.role is not Role.ilo_global:
                raise InvalidInput(
                    "Only the ILO global team moves a trainer to another organisation",
                    errors=[
                        field_error(
                            "body.organisation_id",
                            "ilo_only",
                            "only the ILO global team can change it",
                            str(changed["organisation_id"]),
                        )
                    ],
                )
            await self._check_partner(session, changed["organisation_id"])
        for field, value in changed.items():
            setattr(trainer, field, value)
        session.add(trainer)
        await session.flush()
        after = await self._publish_one(session, trainer)
        if any(
            getattr(before, f) != getattr(after, f) for f in ("sex", "country", "organisation_id")
        ):
            # Reports count certified trainers by these: they follow the record.
            await changes.emit(
                session,
                TrainerUpdated(
                    trainer_id=trainer.id,
                    organisation_id=trainer.organisation_id,
                    sex=Sex(trainer.sex),
                    country=trainer.country,
                ),
                principal=principal,
            )
        await changes.audit(
            session,
            principal=principal,
            action="trainer.updated",
            entity_type="trainer",
            entity_id=trainer.id,
            before=before,
            after=after,
        )
        return after

    async def certifications(
        self, session: AsyncSession, trainer_id: UUID, *, principal: Principal
    ) -> list[CertificationPublic]:
        trainer = await self.get_or_404(session, trainer_id, principal=principal)
        rows = await trainer_repository.certifications_for(session, [trainer.id])
        return [certification_public(c, m) for c, m in rows[trainer.id]]

    async def certify(
        self,
        session: AsyncSession,
        trainer_id: UUID,
        module_code: str,
        data: CertificationPut,
        *,
        principal: Principal,
    ) -> CertificationPublic:
        """Record a trainer's standing in a module; omitted fields keep their recorded value."""
        trainer = await self.get_or_404(session, trainer_id, principal=principal)
        require_trainer_manager(principal, "change trainer certifications")
        module = await module_service.get_or_404(session, module_code)
        existing = await trainer_repository.certification(session, trainer.id, module.id)
        previous = CertificationLevel(existing.level) if existing is not None else None
        if data.level is CertificationLevel.expert and previous not in _CERTIFIED_LEVELS:
            raise Conflict(
                f"Trainer {trainer.id} must be certified in '{module.code}' before becoming "
                f"an expert (currently {previous.value if previous else 'not a candidate'})",
                current_level=previous.value if previous else None,
            )
        given = data.model_dump(exclude_unset=True, exclude={"override_reason"})
        dates = _merged_dates(existing, given)
        dates = _check_dates(data.level, dates, given)
        becomes_certified = (
            data.level is CertificationLevel.certified and previous not in _CERTIFIED_LEVELS
        )
        override = None
        if becomes_certified:
            override = await _evidence_override(
                session, trainer, module, override_reason=data.override_reason, principal=principal
            )
        before = certification_public(existing, module) if existing is not None else None
        certification = existing or TrainerCertification(
            trainer_id=trainer.id, module_id=module.id, level=data.level
        )
        certification.level = data.level
        certification.tot_completed_on = dates["tot_completed_on"]
        certification.toe_completed_on = dates["toe_completed_on"]
        certification.certified_on = dates["certified_on"]
        if data.level is CertificationLevel.candidate:
            # A certification withdrawn takes its override with it; a new one is judged anew.
            certification.override_reason = certification.overridden_by = None
        elif becomes_certified:
            certification.override_reason = override
            certification.overridden_by = principal.actor if override else None
        certification.updated_at = utcnow()
        if existing is None:
            try:
                async with session.begin_nested():
                    session.add(certification)
            except IntegrityError:
                # A concurrent first PUT recorded the module meanwhile: judged again after it.
                return await self.certify(
                    session, trainer_id, module_code, data, principal=principal
                )
        session.add(certification)
        await session.flush()
        after = certification_public(certification, module)
        # A new standing, certified or withdrawn back to candidate (reports stop counting it),
        # or the day a standing was awarded corrected (reports date certifications by it).
        redated = (
            before is not None
            and data.level in _CERTIFIED_LEVELS
            and before.certified_on != certification.certified_on
        )
        if redated or (
            previous is not data.level
            and (data.level in _CERTIFIED_LEVELS or previous in _CERTIFIED_LEVELS)
        ):
            await changes.emit(
                session,
                TrainerCertified(
                    trainer_id=trainer.id,
                    organisation_id=trainer.organisation_id,
                    module_code=module.code,
                    level=data.level,
                    sex=Sex(trainer.sex),
                    country=trainer.country,
                    certified_on=certification.certified_on,
                ),
                principal=principal,
            )
        await changes.audit(
            session,
            principal=principal,
            action="trainer.certification_changed",
            entity_type="trainer",
            entity_id=trainer.id,
            before=before,
            after=after,
        )
        return after

    async def _publish_one(self, session: AsyncSession, trainer: Trainer) -> TrainerPublic:
        certifications = await trainer_repository.certifications_for(session, [trainer.id])
        return _trainer_public(trainer, certifications[trainer.id])

    async def _check_partner(self, session: AsyncSession, organisation_id: UUID | None) -> None:
        if organisation_id is None:
            return
        kinds = await organisation_repository.kinds(session, [organisation_id])
        if kinds.get(organisation_id) is not OrganisationKind.implementation_partner:
            raise InvalidInput(
                "Trainers work with an implementation partner",
                errors=[
                    field_error(
                        "body.organisation_id",
                        "implementation_partner",
                        "must be an existing implementation partner",
                        str(organisation_id),
                    )
                ],
            )


async def _evidence_override(
    session: AsyncSession,
    trainer: Trainer,
    module: TrainingModule,
    *,
    override_reason: str | None,
    principal: Principal,
) -> str | None:
    """None when the evidence is complete; the ILO's reason when it is not; else 409 naming
    each missing piece (403 when someone else gives a reason)."""
    found = await evidence_rules.evidence(session, trainer.id, module)
    if found.complete:
        return None
    errors = found.missing()
    if override_reason is None:
        raise Conflict(
            f"Trainer {trainer.id} lacks the certification evidence for '{module.code}': "
            + "; ".join(e["message"] for e in errors)
            + ". The ILO may certify anyway with override_reason",
            errors=errors,
            sessions_without_passed_quiz=found.sessions_without_passed_quiz,
            assignment_missing=found.assignment_missing,
        )
    if principal.role is not Role.ilo_global:
        raise Forbidden("Only the ILO may certify a trainer without the full evidence")
    return override_reason


def _merged_dates(
    existing: TrainerCertification | None, given: dict[str, Any]
) -> dict[str, date | None]:
    fields = ("tot_completed_on", "toe_completed_on", "certified_on")
    stored = {f: getattr(existing, f) if existing is not None else None for f in fields}
    return {f: given[f] if f in given else stored[f] for f in fields}


def _check_dates(
    level: CertificationLevel, dates: dict[str, date | None], given: dict[str, Any]
) -> dict[str, date | None]:
    """The dates to store for ``level``, or 422 naming each field that breaks a rule."""
    errors = []
    tot, toe = dates["tot_completed_on"], dates["toe_completed_on"]
    if level is CertificationLevel.candidate:
        if given.get("certified_on") is not None:
            errors.append(
                field_error(
                    "body.certified_on",
                    "only_when_certified",
                    "a candidate has no certification date",
                    str(given["certified_on"]),
                )
            )
        # A downgrade to candidate withdraws the certification date it inherited.
        dates = {**dates, "certified_on": None}
    else:
        for field, label in (
            ("tot_completed_on", "Training of Trainers"),
            ("toe_completed_on", "Training of Enterprises"),
        ):
            if dates[field] is None:
                errors.append(
                    field_error(
                        f"body.{field}",
                        "required_for_certification",
                        f"a {level.value} trainer has completed the {label}: give its date",
                    )
                )
        if tot is not None and toe is not None and dates["certified_on"] is None:
            dates = {**dates, "certified_on": max(tot, toe)}
        certified_on = dates["certified_on"]
        if (
            certified_on is not None
            and tot is not None
            and toe is not None
            and certified_on < max(tot, toe)
        ):
            errors.append(
                field_error(
                    "body.certified_on",
                    "date_order",
                    "certification comes after both the ToT and the ToE",
                    str(certified_on),
                )
            )
    if tot is not None and toe is not None and toe < tot:
        errors.append(
            field_error(
                "body.toe_completed_on",
                "date_order",
                f"the ToE follows the ToT (completed on {tot})",
                str(toe),
            )
        )
    if errors:
        fields = ", ".join(e["field"] for e in errors)
        raise InvalidInput(f"The certification is not valid: {fields}", errors=errors)
    return dates


trainer_service = TrainerService()
