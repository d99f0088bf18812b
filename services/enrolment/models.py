"""Every enrolment table, imported in one place for Alembic and the test fixtures."""

from services.enrolment.assessments.models import Assessment
from services.enrolment.calls.models import Application, Call, CriteriaVersion
from services.enrolment.db import metadata, plumbing
from services.enrolment.enterprises.models import Enterprise, EnterpriseBuyer
from services.enrolment.lifecycle.models import Consent, ConsentEvent, Enrolment, StageTransition
from services.enrolment.meetings.models import CommitmentMeeting
from services.enrolment.orders.models import OrderMonth
from services.enrolment.organisations.models import Organisation, Project, ProjectOrganisation
from services.enrolment.training.models import (
    Attendance,
    ClassroomSession,
    Cohort,
    CohortEnterprise,
    CohortTrainer,
    ConsultingVisit,
    ModuleProgress,
    Participant,
    Trainer,
    TrainerCertification,
    TrainingModule,
)

__all__ = [
    "Application",
    "Assessment",
    "Attendance",
    "Call",
    "ClassroomSession",
    "Cohort",
    "CohortEnterprise",
    "CohortTrainer",
    "CommitmentMeeting",
    "Consent",
    "ConsentEvent",
    "ConsultingVisit",
    "CriteriaVersion",
    "Enrolment",
    "Enterprise",
    "EnterpriseBuyer",
    "ModuleProgress",
    "OrderMonth",
    "Organisation",
    "Participant",
    "Project",
    "ProjectOrganisation",
    "StageTransition",
    "Trainer",
    "TrainerCertification",
    "TrainingModule",
    "metadata",
    "plumbing",
]
