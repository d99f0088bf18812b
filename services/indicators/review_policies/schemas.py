"""Review policy contracts."""

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from shared.schemas import Reason


class ReviewPolicyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    four_eyes: bool = Field(
        description="true (the default for every project): a value is validated only by "
        "someone other than who entered or last changed it. false: the project lets the "
        "same person validate (a small partner with one data officer)"
    )
    reason: Reason = Field(examples=["One M&E officer at the partner until March"])


class ReviewPolicyPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    project_id: UUID
    four_eyes: bool
    reason: str | None
    changed_by: str | None
    changed_at: datetime | None
