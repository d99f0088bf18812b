"""Every indicators table, imported in one place for Alembic and the test fixtures."""

from services.indicators.catalogue.models import Indicator, IndicatorVersion
from services.indicators.db import metadata, plumbing
from services.indicators.implementation.models import (
    ImprovementProject,
    ImprovementTeam,
    ImprovementTeamMeeting,
    ImprovementTeamMember,
    SatisfactionResponse,
)
from services.indicators.improvement_plans.models import ImprovementPlan, ImprovementPlanAction
from services.indicators.replica.models import (
    ReplicaCohort,
    ReplicaConsent,
    ReplicaEnrolment,
    ReplicaEnterprise,
    ReplicaProject,
)
from services.indicators.suggestions.models import Suggestion
from services.indicators.values.models import (
    IndicatorValue,
    IndicatorValueVersion,
    MeasurementRound,
    ReviewPolicy,
)

__all__ = [
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
