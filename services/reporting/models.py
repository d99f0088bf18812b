"""Every reporting table, imported in one place for Alembic and the test fixtures."""

from services.reporting.db import metadata, plumbing
from services.reporting.feed.models import PartnerEvent, PublishedSupplierStatus
from services.reporting.impact.models import ImpactFigures, PairGeneration
from services.reporting.readmodels.models import (
    RmCohort,
    RmConsent,
    RmEnrolment,
    RmEnterprise,
    RmEventAttendee,
    RmImprovementPlan,
    RmImprovementProject,
    RmImprovementTeam,
    RmIndicator,
    RmModuleProgress,
    RmOrganisation,
    RmParticipant,
    RmProgrammeEvent,
    RmProject,
    RmRound,
    RmSatisfaction,
    RmSuggestion,
    RmTrainerCertification,
    RmValue,
)
from services.reporting.targets.models import Target, TrainingCost
from services.reporting.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint

__all__ = [
    "ImpactFigures",
    "PairGeneration",
    "PartnerEvent",
    "PublishedSupplierStatus",
    "RmCohort",
    "RmConsent",
    "RmEnrolment",
    "RmEnterprise",
    "RmEventAttendee",
    "RmImprovementPlan",
    "RmImprovementProject",
    "RmImprovementTeam",
    "RmIndicator",
    "RmModuleProgress",
    "RmOrganisation",
    "RmParticipant",
    "RmProgrammeEvent",
    "RmProject",
    "RmRound",
    "RmSatisfaction",
    "RmSuggestion",
    "RmTrainerCertification",
    "RmValue",
    "Target",
    "TrainingCost",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
    "metadata",
    "plumbing",
]
