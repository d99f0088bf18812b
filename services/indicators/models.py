"""Every indicators table, imported in one place for Alembic and the test fixtures."""

from services.indicators.business_cases.models import BusinessCase, BusinessCasePhoto
from services.indicators.catalogue.models import Indicator, IndicatorVersion
from services.indicators.db import metadata, plumbing
from services.indicators.improvement_plans.models import ImprovementPlan, ImprovementPlanAction
from services.indicators.improvement_projects.models import ImprovementProject
from services.indicators.replica.models import (
    ReplicaCohort,
    ReplicaConsent,
    ReplicaEnrolment,
    ReplicaEnterprise,
    ReplicaProject,
)
from services.indicators.review_policies.models import ReviewPolicy
from services.indicators.rounds.models import MeasurementRound
from services.indicators.satisfaction.models import SatisfactionResponse
from services.indicators.suggestions.models import Suggestion
from services.indicators.teams.models import (
    ImprovementTeam,
    ImprovementTeamMeeting,
    ImprovementTeamMember,
)
from services.indicators.values.models import IndicatorValue, IndicatorValueVersion

__all__ = [
    "BusinessCase",
    "BusinessCasePhoto",
    "ImprovementPlan",
    "ImprovementPlanAction",
    "ImprovementProject",
    "ImprovementTeam",
    "ImprovementTeamMeeting",
    "ImprovementTeamMember",
    "Indicator",
    "IndicatorValue",
    "IndicatorValueVersion",
    "IndicatorVersion",
    "MeasurementRound",
    "ReplicaCohort",
    "ReplicaConsent",
    "ReplicaEnrolment",
    "ReplicaEnterprise",
    "ReplicaProject",
    "ReviewPolicy",
    "SatisfactionResponse",
    "Suggestion",
    "metadata",
    "plumbing",
]
