"""Closed vocabularies shared by every service's contracts.

Open vocabularies (the module catalogue, sectors, indicator codes) are data, not enums.
"""

from enum import StrEnum


class Sex(StrEnum):
    female = "female"
    male = "male"


class Role(StrEnum):
    """Who a caller is; decides which tenant's data they may see."""

    ilo_global = "ilo_global"
    programme_manager = "programme_manager"
    partner_staff = "partner_staff"
    trainer = "trainer"
    enterprise_user = "enterprise_user"
    lead_buyer = "lead_buyer"
    # Another platform service (e.g. a feed consumer); never issued to people.
    service = "service"


class OrganisationKind(StrEnum):
    implementation_partner = "implementation_partner"
    lead_buyer = "lead_buyer"
    funder = "funder"
    ilo = "ilo"


class LifecycleStage(StrEnum):
    """An enterprise's stage in one project (domain.md, "Lifecycle")."""

    expression_of_interest = "expression_of_interest"
    eligible = "eligible"
    ineligible = "ineligible"
    needs_information = "needs_information"
    shortlisted = "shortlisted"
    initial_assessment = "initial_assessment"
    baseline_assessment = "baseline_assessment"
    consent_signed = "consent_signed"
    level1 = "level1"
    level1_completed = "level1_completed"
    level2_interest = "level2_interest"
    comprehensive_baseline = "comprehensive_baseline"
    level2_shortlisted = "level2_shortlisted"
    level2 = "level2"
    level2_completed = "level2_completed"
    alumni = "alumni"
    withdrawn = "withdrawn"
    dropped = "dropped"


class ApplicationOutcome(StrEnum):
    eligible = "eligible"
    ineligible = "ineligible"
    needs_information = "needs_information"


class ConsentStatus(StrEnum):
    given = "given"
    withdrawn = "withdrawn"


class CertificationLevel(StrEnum):
    candidate = "candidate"
    certified = "certified"
    expert = "expert"


class ParticipantRole(StrEnum):
    manager = "manager"
    worker = "worker"


class DeliveryMode(StrEnum):
    on_site = "on_site"
    virtual = "virtual"


class Ownership(StrEnum):
    private_domestic = "private_domestic"
    foreign_owned = "foreign_owned"
    joint_venture = "joint_venture"
    state_owned = "state_owned"
    cooperative = "cooperative"
