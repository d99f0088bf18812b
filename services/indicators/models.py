"""Every indicators table, imported in one place for Alembic and the test fixtures."""

from services.indicators.catalogue.models import Indicator, IndicatorVersion
from services.indicators.db import metadata, plumbing
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
from services.indicators.teams.models import (
    ImprovementTeam,
    ImprovementTeamMeeting,
    ImprovementTeamMember,
)
from services.indicators.values.models import IndicatorValue, IndicatorValueVersion

__all__ = [
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
    "metadata",
    "plumbing",
]
