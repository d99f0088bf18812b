"""Enterprises: the SMEs SCORE trains, with the profile eligibility is judged on."""

from datetime import datetime
from uuid import UUID

from sqlalchemy import Index, String
from sqlmodel import Field

from services.enrolment.db import Table
from shared.columns import created_at_field, timestamp_field
from shared.ids import new_id


class Enterprise(Table, table=True):
    __tablename__ = "enterprise"
    __table_args__ = (Index("ix_enterprise_country_normalised_name", "country", "normalised_name"),)

    id: UUID = Field(default_factory=new_id, primary_key=True)
    name: str = Field(sa_type=String(200))
    # Lower-case, punctuation and legal suffixes removed: finds "Acme Textiles (Pvt) Ltd."
    # registered again as "ACME TEXTILES".
    normalised_name: str = Field(sa_type=String(200))
    registration_number: str | None = Field(default=None, sa_type=String(100), index=True)
    country: str = Field(max_length=2, sa_type=String(2))
    city: str | None = Field(default=None, sa_type=String(100))
    address: str | None = Field(default=None, sa_type=String(300))
    sector: str = Field(sa_type=String(60))
    sub_sector: str | None = Field(default=None, sa_type=String(60))
    ownership: str | None = Field(default=None, sa_type=String(40))
    women_led: bool | None = None
    workforce_total: int | None = None
    workforce_permanent: int | None = None
    workforce_female: int | None = None
    workforce_male: int | None = None
    has_hr_officer: bool | None = None
    has_compliance_officer: bool | None = None
    has_industrial_engineer: bool | None = None
    ceo_name: str | None = Field(default=None, sa_type=String(200))
    contact_email: str | None = Field(default=None, sa_type=String(200))
    # The implementation partner that recruited the enterprise and owns its data.
    partner_id: UUID | None = Field(default=None, foreign_key="organisation.id", index=True)
    # Set when registration found a likely duplicate; a person decides, nothing is merged.
    possible_duplicate_of_id: UUID | None = Field(default=None, foreign_key="enterprise.id")
    duplicate_reason: str | None = Field(default=None, sa_type=String(200))
    created_at: datetime = created_at_field()
    updated_at: datetime | None = timestamp_field()


class EnterpriseBuyer(Table, table=True):
    """Lead buyers an enterprise supplies (not consent: see lifecycle.Consent)."""

    __tablename__ = "enterprise_buyer"

    enterprise_id: UUID = Field(foreign_key="enterprise.id", primary_key=True, ondelete="CASCADE")
    buyer_id: UUID = Field(foreign_key="organisation.id", primary_key=True, index=True)
