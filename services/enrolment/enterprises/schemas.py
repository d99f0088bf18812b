"""Enterprise request and response contracts."""

from datetime import datetime
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from shared.enums import Ownership
from shared.geo import CountryCode

_OWNERSHIPS = frozenset(Ownership)

Headcount = Annotated[int, Field(ge=0, le=1_000_000)]
# Every list of ids a request names is bounded: each id is a query argument, and past 32,767
# of them the database driver refused the statement (a 500).
MAX_BUYERS = 100
Slug = Annotated[str, Field(min_length=2, max_length=60, pattern=r"^[a-z0-9_]+$")]


class EnterpriseProfile(BaseModel):
    """The profile eligibility is judged on (domain.md: sector, workforce, key staff ...)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=2, max_length=200)
    registration_number: str | None = Field(default=None, max_length=100)
    country: CountryCode
    city: str | None = Field(default=None, max_length=100)
    address: str | None = Field(default=None, max_length=300)
    sector: Slug = Field(examples=["textile"])
    sub_sector: Slug | None = Field(default=None, examples=["ready_made_garments"])
    ownership: Ownership | None = None
    women_led: bool | None = None
    workforce_total: Headcount | None = None
    workforce_permanent: Headcount | None = None
    workforce_female: Headcount | None = None
    workforce_male: Headcount | None = None
    has_hr_officer: bool | None = None
    has_compliance_officer: bool | None = None
    has_industrial_engineer: bool | None = None
    ceo_name: str | None = Field(default=None, max_length=200)
    contact_email: str | None = Field(default=None, max_length=200)
    buyer_ids: list[UUID] = Field(
        default_factory=list, max_length=MAX_BUYERS, description="Lead buyers supplied"
    )

    # Declared after workforce_total, so info.data already holds the validated total.
    @field_validator("workforce_permanent", "workforce_female", "workforce_male")
    @classmethod
    def _part_within_total(cls, value: int | None, info: ValidationInfo) -> int | None:
        total = info.data.get("workforce_total")
        if value is not None and total is not None and value > total:
            raise PydanticCustomError(
                "part_exceeds_total",
                "{field} ({value}) cannot exceed workforce_total ({total})",
                {"field": info.field_name, "value": value, "total": total},
            )
        return value

    @field_validator("workforce_male")
    @classmethod
    def _sexes_within_total(cls, value: int | None, info: ValidationInfo) -> int | None:
        total, female = info.data.get("workforce_total"), info.data.get("workforce_female")
        if None not in (value, total, female) and value + female > total:  # type: ignore[operator]
            raise PydanticCustomError(
                "parts_exceed_total",
                "workforce_female + workforce_male ({sum}) cannot exceed workforce_total ({total})",
                {"sum": value + female, "total": total},  # type: ignore[operator]
            )
        return value


class EnterpriseCreate(EnterpriseProfile):
    partner_id: UUID | None = Field(
        default=None,
        description="Recruiting implementation partner; partner staff may omit it (their own)",
    )


class EnterpriseUpdate(BaseModel):
    """A partial update; unspecified fields keep their value. Checked against the result."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=2, max_length=200)
    registration_number: str | None = Field(default=None, max_length=100)
    country: CountryCode | None = None
    city: str | None = Field(default=None, max_length=100)
    address: str | None = Field(default=None, max_length=300)
    sector: Slug | None = None
    sub_sector: Slug | None = None
    ownership: Ownership | None = None
    women_led: bool | None = None
    workforce_total: Headcount | None = None
    workforce_permanent: Headcount | None = None
    workforce_female: Headcount | None = None
    workforce_male: Headcount | None = None
    has_hr_officer: bool | None = None
    has_compliance_officer: bool | None = None
    has_industrial_engineer: bool | None = None
    ceo_name: str | None = Field(default=None, max_length=200)
    contact_email: str | None = Field(default=None, max_length=200)
    buyer_ids: list[UUID] | None = Field(default=None, max_length=MAX_BUYERS)


class EnterprisePublic(EnterpriseProfile):
    model_config = ConfigDict(extra="ignore", from_attributes=True)

    id: UUID
    partner_id: UUID | None
    possible_duplicate: bool = Field(
        description="Registration found a likely duplicate; duplicate_reason says why"
    )
    possible_duplicate_of_id: UUID | None = Field(
        description="The likely original, when it is an enterprise you may see (else null: "
        "the flag and the reason are all another tenant's enterprise lets show)"
    )
    duplicate_reason: str | None
    created_at: datetime
    updated_at: datetime | None

    @classmethod
    def build(
        cls, enterprise: object, buyer_ids: list[UUID], *, original_shown: bool = True
    ) -> "EnterprisePublic":
        computed = {"buyer_ids", "possible_duplicate"}
        data = {k: getattr(enterprise, k) for k in cls.model_fields if k not in computed}
        data["possible_duplicate"] = data["duplicate_reason"] is not None
        if not original_shown:
            data["possible_duplicate_of_id"] = None
        # The column holds the enum's value; the model's serializer expects the enum (the
        # string serializes the same, with a warning for every answer).
        if data["ownership"] in _OWNERSHIPS:
            data["ownership"] = Ownership(data["ownership"])
        # Stored rows were validated on the way in; skip re-validation (and its cross-checks).
        return cls.model_construct(**data, buyer_ids=buyer_ids)
