"""Consent contracts."""

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from shared.enums import ConsentStatus
from shared.schemas import Reason

ConsentScope = Literal["supplier_status"]


class ConsentGive(BaseModel):
    model_config = ConfigDict(extra="forbid")

    buyer_id: UUID = Field(description="The lead buyer the enterprise shares its status with")
    scope: ConsentScope = Field(
        default="supplier_status",
        description="What is shared: the supplier status (stage, modules, EIT, key indicators)",
    )
    reason: Reason | None = None


class ConsentWithdraw(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Reason


class ConsentPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    enterprise_id: UUID
    buyer_id: UUID
    status: ConsentStatus
    scope: str
    given_at: datetime | None
    withdrawn_at: datetime | None
    updated_at: datetime


class ConsentEventPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    consent_id: UUID
    status: ConsentStatus
    actor: str = Field(description="Who: role and subject of the caller")
    reason: str | None
    at: datetime
