"""Enrolment and stage transition contracts."""

from datetime import datetime
from typing import Annotated
from uuid import UUID

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

from services.enrolment.lifecycle.machine import FINAL_STAGES, people_next
from services.enrolment.lifecycle.models import Enrolment
from shared.enums import LifecycleStage
from shared.schemas import Reason

FormReference = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)
]

# Leaving the programme is a decision someone must be able to explain later.
_EXITS_NEEDING_REASON = frozenset({LifecycleStage.withdrawn, LifecycleStage.dropped})


class EnrolmentCreate(BaseModel):
    """An enterprise's expression of interest in a project, registered without a call."""

    model_config = ConfigDict(extra="forbid")

    project_id: UUID
    enterprise_id: UUID
    reason: Reason | None = Field(default=None, examples=["Referred by the buyer's sourcing team"])


class TransitionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to_stage: LifecycleStage
    reason: Reason | None = Field(default=None, validate_default=True)
    consent_form_reference: FormReference | None = Field(
        default=None,
        validate_default=True,
        description="The signed programme consent form; required for (and only for) consent_signed",
        examples=["CF-2018-PK-0042.pdf"],
    )

    # Declared after to_stage, so info.data holds the validated target (absent if invalid).
    @field_validator("reason")
    @classmethod
    def _reason_for_exits(cls, value: str | None, info: ValidationInfo) -> str | None:
        target = info.data.get("to_stage")
        if value is None and target in _EXITS_NEEDING_REASON:
            raise PydanticCustomError(
                "reason_required",
                "a reason is required when moving to {stage}",
                {"stage": target.value},
            )
        return value

    @field_validator("consent_form_reference")
    @classmethod
    def _form_only_when_signing(cls, value: str | None, info: ValidationInfo) -> str | None:
        target = info.data.get("to_stage")
        if value is not None and target is not None and target is not LifecycleStage.consent_signed:
            # Silently overwriting the recorded form on an unrelated move would lose it.
            raise PydanticCustomError(
                "consent_signed_only",
                "consent_form_reference is only accepted when moving to consent_signed",
            )
        return value


class EnrolmentPublic(BaseModel):
    id: UUID
    project_id: UUID
    enterprise_id: UUID
    stage: LifecycleStage
    final: bool = Field(description="The enterprise has left the lifecycle (alumni/withdrawn/...)")
    allowed_next_stages: list[LifecycleStage] = Field(
        description="Stages a person may move the enrolment to next (screening outcomes, set "
        "by evaluating applications, are not listed)"
    )
    consent_form_reference: str | None
    created_at: datetime
    updated_at: datetime | None
    stage_since: datetime

    @classmethod
    def build(cls, enrolment: Enrolment) -> "EnrolmentPublic":
        # Stored as text: the column gives back a str, the machine speaks enum.
        stage = LifecycleStage(enrolment.stage)
        return cls(
            id=enrolment.id,
            project_id=enrolment.project_id,
            enterprise_id=enrolment.enterprise_id,
            stage=stage,
            final=stage in FINAL_STAGES,
            allowed_next_stages=list(people_next(stage)),
            consent_form_reference=enrolment.consent_form_reference,
            created_at=enrolment.created_at,
            updated_at=enrolment.updated_at,
            stage_since=enrolment.updated_at or enrolment.created_at,
        )


class StageTransitionPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    enrolment_id: UUID
    from_stage: LifecycleStage | None = Field(description="null for the enrolment's creation")
    to_stage: LifecycleStage
    reason: str | None
    actor: str = Field(
        description="Who: role and subject of the caller", examples=["partner_staff:efp-officer"]
    )
    at: datetime
