"""Who may train in a cohort and who may lead it: the programme's two cohort rules.

* An enterprise joins a module's cohort only once its enrolment in the cohort's project has
  reached the stage the module needs: the signed consent form for a Level 1 module, the
  Level 2 shortlist for a full-package module (seed 002, key steps 3-6).
* The cohort's lead trainer is certified (or expert) in the module; candidates co-deliver
  during their Training of Enterprises, they do not lead.

A breach is refused (409, naming each enterprise or trainer and the rule). The ILO or the
project's programme manager may let it go ahead by giving ``override_reason``: the cohort
then keeps the override (rule, whom it concerns, why, who, when) and shows it as a warning,
and the audit trail records it. Partner staff cannot override their own cohorts.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlmodel.ext.asyncio.session import AsyncSession

from services.enrolment.catalogue.models import TrainingModule
from services.enrolment.lifecycle.machine import has_reached
from services.enrolment.lifecycle.repository import enrolment_repository
from services.enrolment.trainers.repository import trainer_repository
from shared.columns import utcnow
from shared.enums import CertificationLevel, LifecycleStage, Role
from shared.identity import Principal
from shared.problems import Conflict, Forbidden, InvalidInput, field_error

STAGE_RULE = "stage_reached"
LEAD_RULE = "lead_trainer_certified"
_LEADING_LEVELS = frozenset({CertificationLevel.certified, CertificationLevel.expert})
# Stages refused anyway, with their own rule (enrolment_closed), before these rules run.
_CLOSED = frozenset({LifecycleStage.ineligible, LifecycleStage.withdrawn, LifecycleStage.dropped})


def required_stage(module: TrainingModule) -> LifecycleStage:
    """The stage an enterprise must have reached to take ``module``."""
    return LifecycleStage.consent_signed if module.level == 1 else LifecycleStage.level2_shortlisted


def lead_trainer(trainer_ids: Sequence[UUID], lead_trainer_id: UUID | None) -> UUID | None:
    """The cohort's lead: the one named, else the first trainer listed, else nobody yet."""
    if lead_trainer_id is not None:
        if lead_trainer_id not in trainer_ids:
            raise InvalidInput(
                "The lead trainer must be one of the cohort's trainers",
                errors=[
                    field_error(
                        "body.lead_trainer_id",
                        "lead_among_trainers",
                        "must be listed in trainer_ids",
                        str(lead_trainer_id),
                    )
                ],
            )
        return lead_trainer_id
    return trainer_ids[0] if trainer_ids else None


@dataclass(frozen=True)
class Breach:
    rule: str
    field: str
    subject_id: UUID
    detail: str


async def breaches(
    session: AsyncSession,
    *,
    module: TrainingModule,
    project_id: UUID,
    listed: Sequence[UUID],
    to_check: Sequence[UUID],
    lead_trainer_id: UUID | None,
) -> list[Breach]:
    """The rule breaches of the joining enterprises (named by their position in ``listed``)
    and of the lead trainer (when one is being set)."""
    found: list[Breach] = []
    needed = required_stage(module)
    stages = await enrolment_repository.stages_in_project(session, project_id, to_check)
    checked = set(to_check)
    for index, enterprise_id in enumerate(listed):
        stage = stages.get(enterprise_id)
        if enterprise_id not in checked or stage is None or stage in _CLOSED:
            continue  # not enrolled or closed: refused with its own rule
        checked.discard(enterprise_id)
        if not has_reached(stage, needed):
            found.append(
                Breach(
                    STAGE_RULE,
                    f"body.enterprise_ids.{index}",
                    enterprise_id,
                    f"enterprise {enterprise_id} is at {stage.value}; '{module.code}' (level "
                    f"{module.level}) needs {needed.value} or later",
                )
            )
    if lead_trainer_id is not None:
        certification = await trainer_repository.certification(session, lead_trainer_id, module.id)
        level = CertificationLevel(certification.level) if certification else None
        if level not in _LEADING_LEVELS:
            found.append(
                Breach(
                    LEAD_RULE,
                    "body.lead_trainer_id",
                    lead_trainer_id,
                    f"trainer {lead_trainer_id} is "
                    f"{'a candidate' if level else 'not certified'} in '{module.code}'; the "
                    "lead trainer must be certified or expert in the module",
                )
            )
    return found


def settle(
    found: Sequence[Breach],
    *,
    module: TrainingModule,
    project_id: UUID,
    override_reason: str | None,
    principal: Principal,
) -> list[dict[str, Any]]:
    """Refuse the breaches, or return them as overrides to keep on the cohort."""
    if not found:
        return []
    errors = [field_error(b.field, b.rule, b.detail, str(b.subject_id)) for b in found]
    if override_reason is None:
        raise Conflict(
            f"The cohort breaks the programme's rules for '{module.code}'; the ILO or the "
            "project's programme manager may override them with override_reason",
            errors=errors,
            rules=sorted({b.rule for b in found}),
        )
    may_override = principal.role is Role.ilo_global or (
        principal.role is Role.programme_manager and principal.project_id == project_id
    )
    if not may_override:
        raise Forbidden(
            "Only the ILO or the project's programme manager may override the cohort rules "
            f"({', '.join(sorted({b.rule for b in found}))})"
        )
    at = utcnow().isoformat()
    return [
        {
            "rule": b.rule,
            "subject_id": str(b.subject_id),
            "detail": b.detail,
            "reason": override_reason,
            "actor": principal.actor,
            "at": at,
        }
        for b in found
    ]


async def check(
    session: AsyncSession,
    *,
    module: TrainingModule,
    project_id: UUID,
    listed: Sequence[UUID],
    to_check: Sequence[UUID],
    lead_trainer_id: UUID | None,
    override_reason: str | None,
    principal: Principal,
) -> list[dict[str, Any]]:
    """Refuse a change that breaks the rules, or the overrides that let it go ahead."""
    found = await breaches(
        session,
        module=module,
        project_id=project_id,
        listed=listed,
        to_check=to_check,
        lead_trainer_id=lead_trainer_id,
    )
    return settle(
        found,
        module=module,
        project_id=project_id,
        override_reason=override_reason,
        principal=principal,
    )
